/**
 * Structural differences between two JSON values, as `a.b[2].c` paths, and values shortened for display. Both
 * clouds' resource bodies go through here.
 */
import { isDeepStrictEqual } from 'node:util';
import { isJsonObject } from '../config/json';
import type { ValueChange } from './model';

const IDENTIFIER = /^[A-Za-z_][\w-]*$/;

function childPath(parent: string, key: string): string {
  const segment = IDENTIFIER.test(key) ? key : JSON.stringify(key);
  return parent === '' ? segment : `${parent}.${segment}`;
}

/**
 * Every leaf-most path where `before` and `after` differ. Objects are compared key by key; arrays element by
 * element when their lengths agree, otherwise as one value (an insertion would otherwise shift every index).
 */
export function valueChanges(before: unknown, after: unknown, path = ''): ValueChange[] {
  if (isDeepStrictEqual(before, after)) return [];
  if (isJsonObject(before) && isJsonObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) => valueChanges(before[key], after[key], childPath(path, key)));
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    return before.flatMap((item, i) => valueChanges(item, after[i], `${path}[${i}]`));
  }
  return [{ path, ...(before === undefined ? {} : { before }), ...(after === undefined ? {} : { after }) }];
}

const asText = (value: unknown): string =>
  value === undefined ? '(absent)' : (JSON.stringify(value) ?? String(value));

function elide(text: string, max: number): string {
  if (text.length <= max) return text;
  const keep = Math.floor((max - 1) / 2);
  return `${text.slice(0, keep)}…${text.slice(text.length - keep)}`;
}

/** A value as one line of JSON, its middle elided beyond `max` characters. */
export function shortValue(value: unknown, max = 80): string {
  return elide(asText(value), max);
}

/** Characters of context kept around the part two long values differ in. */
const CONTEXT = 12;

/**
 * `before -> after` in one line. Long values keep the part where they differ (two long JSON strings usually
 * share most of their text); lists of different lengths show the items that went and came.
 */
export function describeChange(value: ValueChange, max = 80): string {
  const { before, after } = value;
  if (Array.isArray(before) && Array.isArray(after)) {
    const has = (list: unknown[], item: unknown) => list.some((other) => isDeepStrictEqual(other, item));
    const gone = before.filter((item) => !has(after, item)).map((item) => `-${shortValue(item, max)}`);
    const came = after.filter((item) => !has(before, item)).map((item) => `+${shortValue(item, max)}`);
    if (gone.length + came.length > 0) return [...gone, ...came].join(' ');
  }
  const [a, b] = [asText(before), asText(after)];
  if (a.length <= max && b.length <= max) return `${a} -> ${b}`;
  let prefix = 0;
  while (prefix < a.length && prefix < b.length && a[prefix] === b[prefix]) prefix++;
  let suffix = 0;
  while (suffix < a.length - prefix && suffix < b.length - prefix && a.at(-1 - suffix) === b.at(-1 - suffix)) suffix++;
  const around = (text: string) => {
    const start = Math.max(0, prefix - CONTEXT);
    const end = Math.min(text.length, text.length - suffix + CONTEXT);
    const middle = elide(text.slice(start, end), max);
    return `${start > 0 ? '…' : ''}${middle}${end < text.length ? '…' : ''}`;
  };
  return `${around(a)} -> ${around(b)}`;
}
