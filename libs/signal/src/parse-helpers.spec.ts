import { byteLength, fitsBytes } from './parse-helpers.js';

describe('fitsBytes', () => {
  it('agrees with the UTF-8 length for ASCII, multi-byte characters, surrogate pairs and lone surrogates', () => {
    for (const value of ['', 'a'.repeat(10), 'é'.repeat(10), '€'.repeat(10), '😀'.repeat(10), '\ud800'.repeat(10), 'a€😀é']) {
      for (let max = 0; max <= 45; max++) expect([value, max, fitsBytes(value, max)]).toEqual([value, max, byteLength(value) <= max]);
    }
  });
});
