export { AlertgateError, Code, RETRYABLE_CODES, isRetryable } from './alertgate-error.js';
export type { AlertgateErrorOptions } from './alertgate-error.js';
export { errorMessage, errorStack } from './error-message.js';
