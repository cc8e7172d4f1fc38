/**
 * hex.pm's repository public key: the key `repo.hex.pm` signs its registry
 * with (`names`, `versions`, `packages/NAME`, for `hexpm` and for every
 * `hexpm:ORG`). It is public data, published at https://hex.pm/docs/public_keys
 * and served at https://repo.hex.pm/public_key; hex_core (`HEXPM_PUBLIC_KEY`
 * in `src/hex_core.erl`) and mix (`lib/hex/repo.ex`) carry the same bytes. It
 * dates from 2016 and has never been rotated.
 *
 * A project that points `hexpm` at another signer sets `repo_public_key` on
 * its hexpm entry; that configured key wins over this one.
 *
 * @module
 */

/** hex.pm's 2048-bit RSA public key, SPKI PEM ("BEGIN PUBLIC KEY"). */
export const HEXPM_PUBLIC_KEY = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEApqREcFDt5vV21JVe2QNB
Edvzk6w36aNFhVGWN5toNJRjRJ6m4hIuG4KaXtDWVLjnvct6MYMfqhC79HAGwyF+
IqR6Q6a5bbFSsImgBJwz1oadoVKD6ZNetAuCIK84cjMrEFRkELtEIPNHblCzUkkM
3rS9+DPlnfG8hBvGi6tvQIuZmXGCxF/73hU0/MyGhbmEjIKRtG6b0sJYKelRLTPW
XgK7s5pESgiwf2YC/2MGDXjAJfpfCd0RpLdvd4eRiXtVlE9qO9bND94E7PgQ/xqZ
J1i2xWFndWa6nfFnRxZmCStCOZWYYPlaxr+FZceFbpMwzTNs4g3d4tLNUcbKAIH4
0wIDAQAB
-----END PUBLIC KEY-----
`;

/**
 * The OpenSSH-style fingerprint hex.pm publishes for {@link HEXPM_PUBLIC_KEY}
 * (what `hex_repo:fingerprint/1` and `mix hex.repo add --fetch-public-key`
 * compare against).
 *
 * Exported for tests, which check the embedded key against it.
 */
export const HEXPM_PUBLIC_KEY_FINGERPRINT = "SHA256:O1LOYhHFW4kcrblKAxROaDEzLD8bn1seWbe5tq8TRsk";
