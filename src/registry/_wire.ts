/**
 * A minimal protobuf wire-format writer and reader: just what the Hex registry
 * messages need (varints, length-delimited fields, skipping anything else).
 *
 * @module
 */

/** Wire type: varint (int32, int64, uint32, bool, enum). */
export const VARINT = 0;
/** Wire type: 8 fixed bytes. */
const FIXED64 = 1;
/** Wire type: length-delimited (string, bytes, messages, packed repeated). */
export const LEN = 2;
/** Wire type: start of a (deprecated) group. */
const START_GROUP = 3;
/** Wire type: end of a (deprecated) group. */
const END_GROUP = 4;
/** Wire type: 4 fixed bytes (fixed32, sfixed32, float). */
export const FIXED32 = 5;

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Appends protobuf fields to a growing buffer. */
export class WireWriter {
  #buf = new Uint8Array(64);
  #len = 0;

  #reserve(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }

  /** Writes an unsigned varint (a non-negative safe integer or a bigint). */
  varint(value: number | bigint): this {
    if (typeof value === "number" && value >= 0 && value <= 0xffff_ffff) {
      // Fast path for the common small case.
      let n = value;
      this.#reserve(5);
      while (n > 0x7f) {
        this.#buf[this.#len++] = (n & 0x7f) | 0x80;
        n = Math.floor(n / 128);
      }
      this.#buf[this.#len++] = n;
      return this;
    }
    let v = BigInt.asUintN(64, BigInt(value));
    this.#reserve(10);
    while (v > 0x7fn) {
      this.#buf[this.#len++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.#buf[this.#len++] = Number(v);
    return this;
  }

  /** Writes a field key. */
  tag(field: number, wireType: number): this {
    return this.varint(field * 8 + wireType);
  }

  /** Writes an int32/int64 varint field (negative values take 10 bytes, as protobuf says). */
  intField(field: number, value: number | bigint): this {
    return this.tag(field, VARINT).varint(value);
  }

  /** Writes a bool field. */
  boolField(field: number, value: boolean): this {
    return this.tag(field, VARINT).varint(value ? 1 : 0);
  }

  /** Writes a `float` field (4 bytes, little-endian IEEE 754 single precision). */
  floatField(field: number, value: number): this {
    this.tag(field, FIXED32);
    this.#reserve(4);
    new DataView(this.#buf.buffer).setFloat32(this.#len, value, true);
    this.#len += 4;
    return this;
  }

  /** Writes a repeated varint field unpacked: one key and value per element (proto2's default). */
  unpackedField(field: number, values: readonly number[]): this {
    for (const v of values) this.intField(field, v);
    return this;
  }

  /** Writes a bytes field. */
  bytesField(field: number, value: Uint8Array): this {
    this.tag(field, LEN).varint(value.length);
    this.#reserve(value.length);
    this.#buf.set(value, this.#len);
    this.#len += value.length;
    return this;
  }

  /** Writes a string field as UTF-8. */
  stringField(field: number, value: string): this {
    return this.bytesField(field, utf8.encode(value));
  }

  /** Writes an embedded message field, encoded by `body` into a fresh writer. */
  messageField(field: number, body: (w: WireWriter) => void): this {
    const inner = new WireWriter();
    body(inner);
    return this.bytesField(field, inner.finish());
  }

  /** Writes a packed repeated varint field (nothing when empty, as protobuf does). */
  packedField(field: number, values: readonly number[]): this {
    if (values.length === 0) return this;
    const inner = new WireWriter();
    for (const v of values) inner.varint(v);
    return this.bytesField(field, inner.finish());
  }

  /** The bytes written so far. */
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}

/** Reads protobuf fields from a byte range; every failure is a `SyntaxError`. */
export class WireReader {
  readonly #bytes: Uint8Array;
  #pos: number;
  readonly #end: number;
  /** What is being decoded, for error messages ("Names"). */
  readonly what: string;

  constructor(bytes: Uint8Array, what: string) {
    this.#bytes = bytes;
    this.#pos = 0;
    this.#end = bytes.length;
    this.what = what;
  }

  /** Whether every byte has been read. */
  done(): boolean {
    return this.#pos >= this.#end;
  }

  #fail(message: string): never {
    throw new SyntaxError(`Cannot decode ${this.what}: ${message}`);
  }

  /** Reads a varint as a bigint (up to 64 bits). */
  varint64(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.#pos >= this.#end) this.#fail("truncated varint");
      const b = this.#bytes[this.#pos++];
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asUintN(64, result);
    }
    this.#fail("varint longer than 10 bytes");
  }

  /** Reads a varint that must fit in 32 bits unsigned (tags, lengths, uint32). */
  uint32(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.#pos >= this.#end) this.#fail("truncated varint");
      const b = this.#bytes[this.#pos++];
      if (i < 5) result += (b & 0x7f) * mul;
      mul *= 128;
      if (b < 0x80) return result % 0x1_0000_0000;
    }
    this.#fail("varint longer than 10 bytes");
  }

  /** Reads an int32 varint (sign-extended to 64 bits on the wire). */
  int32(): number {
    return Number(BigInt.asIntN(32, this.varint64()));
  }

  /** Reads an int64 varint as a number (exact within ±2^53). */
  int64(): number {
    return Number(BigInt.asIntN(64, this.varint64()));
  }

  /** Reads a bool varint. */
  bool(): boolean {
    return this.varint64() !== 0n;
  }

  /** Reads a `float` (4 bytes, little-endian). */
  float(): number {
    if (4 > this.#end - this.#pos) this.#fail("truncated fixed-width field");
    const at = this.#bytes.byteOffset + this.#pos;
    this.#pos += 4;
    return new DataView(this.#bytes.buffer).getFloat32(at, true);
  }

  /** Reads a field key: `[fieldNumber, wireType]`, or `undefined` at the end. */
  key(): [number, number] | undefined {
    if (this.done()) return undefined;
    const key = this.uint32();
    const field = Math.floor(key / 8);
    if (field === 0) this.#fail("field number 0");
    return [field, key & 7];
  }

  /** Reads the bytes of a length-delimited field (a view, not a copy). */
  bytes(): Uint8Array {
    const n = this.uint32();
    if (n > this.#end - this.#pos) this.#fail("length past the end of the data");
    const out = this.#bytes.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return out;
  }

  /** Reads a length-delimited UTF-8 string. */
  string(): string {
    const b = this.bytes();
    try {
      return strictUtf8.decode(b);
    } catch {
      this.#fail("a string is not valid UTF-8");
    }
  }

  /** Reads a repeated varint field given either packed (LEN) or one unpacked value. */
  repeatedInt32(wireType: number, into: number[]): void {
    if (wireType === VARINT) {
      into.push(this.int32());
      return;
    }
    if (wireType !== LEN) this.#fail(`wire type ${wireType} for a repeated int32`);
    const inner = new WireReader(this.bytes(), this.what);
    while (!inner.done()) into.push(inner.int32());
  }

  /** Reads a repeated uint32 field given either packed (LEN) or one unpacked value. */
  repeatedUint32(wireType: number, into: number[]): void {
    if (wireType === VARINT) {
      into.push(this.uint32());
      return;
    }
    if (wireType !== LEN) this.#fail(`wire type ${wireType} for a repeated uint32`);
    const inner = new WireReader(this.bytes(), this.what);
    while (!inner.done()) into.push(inner.uint32());
  }

  /** Skips a field of the given wire type (unknown fields are ignored). */
  skip(wireType: number, field: number): void {
    switch (wireType) {
      case VARINT:
        this.varint64();
        return;
      case FIXED64:
        this.#advance(8);
        return;
      case LEN:
        this.bytes();
        return;
      case FIXED32:
        this.#advance(4);
        return;
      case START_GROUP:
        for (;;) {
          const k = this.key();
          if (k === undefined) this.#fail("unterminated group");
          if (k[1] === END_GROUP) {
            if (k[0] !== field) this.#fail("mismatched end of group");
            return;
          }
          this.skip(k[1], k[0]);
        }
      default:
        this.#fail(`unexpected wire type ${wireType} for field ${field}`);
    }
  }

  #advance(n: number): void {
    if (n > this.#end - this.#pos) this.#fail("truncated fixed-width field");
    this.#pos += n;
  }

  /** Fails unless the wire type is the one a known field needs. */
  expect(wireType: number, expected: number, field: number): void {
    if (wireType !== expected) {
      this.#fail(`field ${field} has wire type ${wireType}, expected ${expected}`);
    }
  }

  /** Fails for a required field that was absent. */
  missing(name: string): never {
    this.#fail(`required field "${name}" is missing`);
  }
}
