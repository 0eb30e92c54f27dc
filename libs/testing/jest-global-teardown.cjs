module.exports = require('./jest-global.cjs').load('global-teardown');
