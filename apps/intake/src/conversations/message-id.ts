/** `<abc@mail.example>` and `abc@mail.example` are the same Message-ID; store it one way. */
export function normaliseMessageId(raw: string): string {
  return raw.trim().replace(/^<+/, '').replace(/>+$/, '').trim();
}
