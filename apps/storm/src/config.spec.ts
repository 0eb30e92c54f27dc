import { loadConfig } from './config.js';

describe('storm config', () => {
  it('keys storms on namespace and alertname by default, and accepts more labels', () => {
    expect(loadConfig({}).storm.keyLabels).toEqual(['namespace', 'alertname']);
    expect(loadConfig({ STORM_KEY_LABELS: 'namespace,alertname,service' }).storm.keyLabels).toEqual(['namespace', 'alertname', 'service']);
  });

  it('refuses a key without namespace or alertname, naming the variable', () => {
    // One storm would otherwise get an aggregate per alertname (or namespace).
    expect(() => loadConfig({ STORM_KEY_LABELS: 'namespace' })).toThrow(/STORM_KEY_LABELS: must include namespace and alertname/);
    expect(() => loadConfig({ STORM_KEY_LABELS: 'alertname,cluster' })).toThrow(/STORM_KEY_LABELS/);
    expect(() => loadConfig({ STORM_KEY_LABELS: 'namespace,alertname,namespace' })).toThrow(/STORM_KEY_LABELS: names a label twice/);
    expect(() => loadConfig({ STORM_KEY_LABELS: 'namespace,alertname,bad-label' })).toThrow(/STORM_KEY_LABELS: "bad-label" is not a label name/);
  });
});
