// A small MD5 written from RFC 1321 (section 3 and the reference implementation's constants), used
// by the tests as an implementation independent of node:crypto, which core's Signing uses. Returns
// lower-case hex of the UTF-8 bytes of `text`.

// Per-round shift amounts (RFC 1321, 3.4).
const shifts = [
  7,
  12,
  17,
  22,
  7,
  12,
  17,
  22,
  7,
  12,
  17,
  22,
  7,
  12,
  17,
  22,
  5,
  9,
  14,
  20,
  5,
  9,
  14,
  20,
  5,
  9,
  14,
  20,
  5,
  9,
  14,
  20,
  4,
  11,
  16,
  23,
  4,
  11,
  16,
  23,
  4,
  11,
  16,
  23,
  4,
  11,
  16,
  23,
  6,
  10,
  15,
  21,
  6,
  10,
  15,
  21,
  6,
  10,
  15,
  21,
  6,
  10,
  15,
  21
]

// T[i] = floor(2^32 * abs(sin(i + 1))) (RFC 1321, 3.4).
const table = Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) >>> 0)

const rotateLeft = (x: number, n: number): number => ((x << n) | (x >>> (32 - n))) >>> 0

export const md5Hex = (text: string | Uint8Array): string => {
  const input = typeof text === "string" ? new TextEncoder().encode(text) : text
  // Padding (3.1) and length (3.2): a 1 bit, zeros to 448 mod 512 bits, then the bit length as a
  // 64-bit little-endian integer.
  const paddedLength = (((input.length + 8) >> 6) + 1) << 6
  const bytes = new Uint8Array(paddedLength)
  bytes.set(input)
  bytes[input.length] = 0x80
  const view = new DataView(bytes.buffer)
  const bitLength = BigInt(input.length) * 8n
  view.setUint32(paddedLength - 8, Number(bitLength & 0xffffffffn), true)
  view.setUint32(paddedLength - 4, Number(bitLength >> 32n), true)

  // Initial state (3.3).
  let a0 = 0x67452301
  let b0 = 0xefcdab89
  let c0 = 0x98badcfe
  let d0 = 0x10325476

  for (let offset = 0; offset < paddedLength; offset += 64) {
    const words = Array.from({ length: 16 }, (_, i) => view.getUint32(offset + i * 4, true))
    let a = a0
    let b = b0
    let c = c0
    let d = d0
    for (let i = 0; i < 64; i++) {
      let f: number
      let g: number
      if (i < 16) {
        f = (b & c) | (~b & d)
        g = i
      } else if (i < 32) {
        f = (d & b) | (~d & c)
        g = (5 * i + 1) % 16
      } else if (i < 48) {
        f = b ^ c ^ d
        g = (3 * i + 5) % 16
      } else {
        f = c ^ (b | ~d)
        g = (7 * i) % 16
      }
      const sum = (a + (f >>> 0) + table[i]! + words[g]!) >>> 0
      a = d
      d = c
      c = b
      b = (b + rotateLeft(sum, shifts[i]!)) >>> 0
    }
    a0 = (a0 + a) >>> 0
    b0 = (b0 + b) >>> 0
    c0 = (c0 + c) >>> 0
    d0 = (d0 + d) >>> 0
  }

  // Output: A, B, C, D as little-endian bytes (3.5).
  const out = new DataView(new ArrayBuffer(16))
  out.setUint32(0, a0, true)
  out.setUint32(4, b0, true)
  out.setUint32(8, c0, true)
  out.setUint32(12, d0, true)
  return Array.from(new Uint8Array(out.buffer), (byte) => byte.toString(16).padStart(2, "0")).join("")
}
