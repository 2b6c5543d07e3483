import { describe, expect, it } from 'vitest';
import { cookieValue, SignedIds, signedValue, unverifiedId } from '../src/http/signed-cookie.js';
import { SECRET, SECRET_B } from './helpers.js';

describe('session cookie values', () => {
  it('reads the first cookie of the name, not a longer name nor text inside another value', () => {
    expect(cookieValue('xsid=1; sid=2', 'sid')).toBe('2');
    expect(cookieValue('a=b sid=evil; sid=real', 'sid')).toBe('real');
    expect(cookieValue('sid=first; sid=second', 'sid')).toBe('first');
    expect(cookieValue('  sid=s%3Aabc.def ', 'sid')).toBe('s:abc.def');
    expect(cookieValue('sid="quoted"', 'sid')).toBe('quoted');
    expect(cookieValue('sid=%E0%A4%A', 'sid')).toBeUndefined(); // malformed escape
    expect(cookieValue(undefined, 'sid')).toBeUndefined();
    expect(cookieValue('other=1', 'sid')).toBeUndefined();
  });

  it('accepts what any configured secret signed, refuses a forgery every time', () => {
    const value = signedValue('session-id-123', SECRET_B);
    expect(value.startsWith('s:session-id-123.')).toBe(true);
    expect(value).not.toMatch(/=$/); // cookie-signature drops base64 padding
    const ids = new SignedIds([SECRET, SECRET_B]);
    expect(ids.idOf(value)).toBe('session-id-123');
    expect(ids.idOf(value)).toBe('session-id-123'); // the remembered value
    const forged = `${value.slice(0, -2)}xx`;
    expect(ids.idOf(forged)).toBeUndefined();
    expect(ids.idOf(forged)).toBeUndefined();
    expect(new SignedIds([SECRET]).idOf(value)).toBeUndefined();
    expect(ids.idOf('session-id-123')).toBeUndefined(); // unsigned
    expect(ids.idOf('s:nodot')).toBeUndefined();
  });

  it('forgets the oldest verified value past its bound, and still verifies it again', () => {
    const ids = new SignedIds([SECRET], 2);
    const values = ['a', 'b', 'c'].map((id) => signedValue(id, SECRET));
    for (const v of values) ids.idOf(v);
    expect(ids.idOf(values[0])).toBe('a');
    expect(unverifiedId(values[1])).toBe('b');
  });
});
