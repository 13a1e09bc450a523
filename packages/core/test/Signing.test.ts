import { assert, describe, it } from "@effect/vitest"
import { Signing } from "@hookline/core/provider"
import * as Redacted from "effect/Redacted"
import { execFileSync } from "node:child_process"
import { createHash } from "node:crypto"

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex")

// Computed with `openssl dgst -<alg> -hmac key` over "The quick brown fox" (an independent tool).
const opensslVectors = {
  sha1: "22f9e077a3cebd09248154f85d9a56c79941fd96",
  sha256: "203d1e5cedd2d18f8c5a3beff0bd9c1ebcb97097dfcb288c46b00c9227fde2c0",
  sha512Base64: "NvRLElqKkGOdxGczA5VxeS4IHg/YaF/3RnhLAu0UqjVinVYscRfN5KcBVwVR+qWl4bfvHrXDvNTMH9uJI/zxTg=="
}

describe("Signing", () => {
  it("HMAC matches openssl for sha1, sha256 and sha512", () => {
    assert.strictEqual(hex(Signing.hmac("sha1", "key", "The quick brown fox")), opensslVectors.sha1)
    assert.strictEqual(hex(Signing.hmac("sha256", "key", "The quick brown fox")), opensslVectors.sha256)
    assert.strictEqual(
      Signing.encode(Signing.hmac("sha512", "key", "The quick brown fox"), "base64"),
      opensslVectors.sha512Base64
    )
  })

  it("HMAC-SHA256 matches RFC 4231 test case 2", () => {
    assert.strictEqual(
      hex(Signing.hmac("sha256", "Jefe", "what do ya want for nothing?")),
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )
  })

  it("HMAC agrees with WebCrypto on random inputs", async () => {
    for (let i = 0; i < 20; i++) {
      const key = crypto.getRandomValues(new Uint8Array(1 + i * 7))
      const data = crypto.getRandomValues(new Uint8Array(i * 31))
      const cryptoKey = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"])
      const expected = new Uint8Array(await crypto.subtle.sign("HMAC", cryptoKey, data))
      assert.strictEqual(hex(Signing.hmac("sha256", key, data)), hex(expected))
    }
  })

  it("HMAC over parts is the HMAC of their concatenation (RFC 4231 case 2 split; WebCrypto on random splits)", async () => {
    const rfc = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    assert.strictEqual(
      hex(Signing.hmac("sha256", "Jefe", ["what do ya ", new TextEncoder().encode("want"), " for nothing?"])),
      rfc
    )
    assert.strictEqual(
      hex(Signing.hmacWithSecret("sha256", Redacted.make("Jefe"), ["what do ya want", " for nothing?"])),
      rfc
    )
    assert.strictEqual(hex(Signing.hmac("sha256", "Jefe", [])), hex(Signing.hmac("sha256", "Jefe", "")))
    for (let i = 0; i < 20; i++) {
      const key = crypto.getRandomValues(new Uint8Array(1 + i * 5))
      const data = crypto.getRandomValues(new Uint8Array(i * 37))
      const cut = Math.floor(data.length / 3)
      const cryptoKey = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"])
      const expected = new Uint8Array(await crypto.subtle.sign("HMAC", cryptoKey, data))
      assert.strictEqual(hex(Signing.hmac("sha256", key, [data.subarray(0, cut), data.subarray(cut)])), hex(expected))
    }
  })

  it("MD5 matches RFC 1321 vectors and openssl", () => {
    assert.strictEqual(hex(Signing.md5("")), "d41d8cd98f00b204e9800998ecf8427e")
    assert.strictEqual(hex(Signing.md5("abc")), "900150983cd24fb0d6963f7d28e17f72")
    assert.strictEqual(hex(Signing.md5("message digest")), "f96b697d7cb7938d525a2f31aaf161d0")
    const text = "订单审核 — payload with UTF-8"
    const openssl =
      execFileSync("openssl", ["md5", "-r"], { input: Buffer.from(text, "utf8") }).toString().split(" ")[0]
    assert.strictEqual(hex(Signing.md5(text)), openssl)
  })

  it("matches accepts hex of either case and rejects any single flipped character", () => {
    const expected = Signing.hmac("sha256", "key", "The quick brown fox")
    const lower = opensslVectors.sha256
    assert.isTrue(Signing.matches(expected, lower, "hex"))
    assert.isTrue(Signing.matches(expected, lower.toUpperCase(), "hex"))
    for (let i = 0; i < lower.length; i++) {
      const flipped = lower.slice(0, i) + (lower[i] === "0" ? "1" : "0") + lower.slice(i + 1)
      assert.isFalse(Signing.matches(expected, flipped, "hex"), `position ${i}`)
    }
  })

  it("matches rejects truncated, extended, empty and non-hex signatures", () => {
    const expected = Signing.hmac("sha256", "key", "The quick brown fox")
    const good = opensslVectors.sha256
    for (const bad of [good.slice(0, -2), `${good}00`, "", "zz".repeat(32), `${good.slice(0, -1)}g`, good.slice(1)]) {
      assert.isFalse(Signing.matches(expected, bad, "hex"), JSON.stringify(bad))
    }
  })

  it("matches base64 in standard and URL-safe forms, and rejects garbage", () => {
    const expected = Signing.hmac("sha512", "key", "The quick brown fox")
    const standard = opensslVectors.sha512Base64
    const urlSafe = standard.replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "")
    assert.isTrue(Signing.matches(expected, standard, "base64"))
    assert.isTrue(Signing.matches(expected, urlSafe, "base64"))
    assert.isFalse(Signing.matches(expected, `${standard.slice(0, 10)}!${standard.slice(11)}`, "base64"))
    assert.isFalse(Signing.matches(expected, standard.slice(4), "base64"))
  })

  it("matchesAny accepts any configured secret (rotation) and only those", () => {
    const data = "payload"
    const received = hex(Signing.hmac("sha256", "new-secret", data))
    const compute = (secret: string) => Signing.hmac("sha256", secret, data)
    assert.isTrue(Signing.matchesAny(["old-secret", "new-secret"], compute, received, "hex"))
    assert.isFalse(Signing.matchesAny(["old-secret", "other"], compute, received, "hex"))
    assert.isFalse(Signing.matchesAny([], compute, received, "hex"))
  })

  it("sha256Parts keeps part boundaries", () => {
    assert.notStrictEqual(Signing.sha256Parts(["ab", "c"]), Signing.sha256Parts(["a", "bc"]))
    assert.strictEqual(Signing.sha256Parts(["a", new TextEncoder().encode("b")]), Signing.sha256Parts(["a", "b"]))
  })

  it("sha256Parts is SHA-256 over length-prefixed parts", () => {
    const body = new TextEncoder().encode(`{"é":1}`)
    const expected = createHash("sha256").update(`${body.length}:`).update(body).update("3:abc").digest("hex")
    assert.strictEqual(Signing.sha256Parts([body, "abc"]), expected)
  })

  it("hmacWithSecret equals hmac over the secret's value, also on reuse", () => {
    const secret = Redacted.make("clé-secrète")
    const expected = hex(Signing.hmac("sha256", "clé-secrète", "payload"))
    assert.strictEqual(hex(Signing.hmacWithSecret("sha256", secret, "payload")), expected)
    assert.strictEqual(hex(Signing.hmacWithSecret("sha256", secret, "payload")), expected)
    assert.strictEqual(
      hex(Signing.hmacWithSecret("sha512", secret, "payload")),
      hex(Signing.hmac("sha512", "clé-secrète", "payload"))
    )
  })

  it("decode accepts exactly whole hex strings", () => {
    const cases: ReadonlyArray<readonly [string, string | undefined]> = [
      ["", ""],
      ["00ff", "00ff"],
      ["ABCDEF", "abcdef"],
      ["abc", undefined],
      ["0g", undefined],
      ["zz00", undefined],
      ["00zz", undefined],
      ["00 ", undefined],
      [" 00", undefined],
      ["aé", undefined],
      ["ab\u0000c", undefined]
    ]
    for (const [text, expected] of cases) {
      const bytes = Signing.decode(text, "hex")
      assert.strictEqual(bytes === undefined ? undefined : hex(bytes), expected, JSON.stringify(text))
    }
  })
})
