import { keySlot } from './key-slot.js';

describe('keySlot', () => {
  // Expected values are what a real Redis 7 answers to CLUSTER KEYSLOT.
  it.each([
    ['{a}', 15495],
    ['{b}x', 3300],
    ['{f}y', 3168],
    ['foo', 12182],
    ['123456789', 12739],
    ['{}a', 10875],
    ['ag:{d3fa}', keySlot('d3fa')],
  ])('slot of %s is %i', (key, slot) => {
    expect(keySlot(key)).toBe(slot);
  });
});
