module.exports = require('./jest-global.cjs').load('global-setup');
