/**
 * Reads Standard Webhooks secrets: one or more `whsec_<base64>` values separated by whitespace (several
 * during a rotation: every one signs, receivers accept any). Returns the raw HMAC keys. Throws a
 * RangeError that says what is wrong without echoing the secret.
 */
export function parseWebhookSecrets(text: string): Buffer[] {
  const parts = text
    .trim()
    .split(/\s+/)
    .filter((p) => p !== '');
  if (parts.length === 0) throw new RangeError('expected one or more secrets like whsec_<base64>, got an empty value');
  return parts.map((part, i) => {
    const which = parts.length > 1 ? `secret #${i + 1}` : 'secret';
    if (!part.startsWith('whsec_'))
      throw new RangeError(`${which} must look like whsec_<base64> (Standard Webhooks form)`);
    const base64 = part.slice('whsec_'.length);
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64) || base64.length % 4 === 1)
      throw new RangeError(`${which} is not valid base64 after whsec_`);
    const key = Buffer.from(base64, 'base64');
    if (key.length < 16)
      throw new RangeError(
        `${which} is ${key.length} bytes; use at least 16 (Standard Webhooks recommends 24 to 64 random bytes)`,
      );
    return key;
  });
}
