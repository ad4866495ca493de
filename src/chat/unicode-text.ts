// Text that is not valid Unicode (a UTF-16 surrogate without its pair) cannot be encoded as
// UTF-8: strict JSON parsers refuse it, and a session holding one would break every later read
// of it. JSON can carry one as an escape ("\ud800"), so the API checks for them.

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Index (UTF-16) of the first unpaired surrogate in `text`, or -1 when it is valid Unicode. */
export function loneSurrogateIndex(text: string): number {
  return text.search(LONE_SURROGATE);
}

/** 1-based position in characters (code points) of the UTF-16 index `index`, as people count. */
export function characterPosition(text: string, index: number): number {
  let position = 1;
  for (let i = 0; i < index; i++) {
    const code = text.charCodeAt(i);
    // A high surrogate followed by a low one is one character.
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < index) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    position++;
  }
  return position;
}

/** "U+0007", "U+1F600". */
export function codePointName(codePoint: number): string {
  return `U+${codePoint.toString(16).toUpperCase().padStart(4, "0")}`;
}

/** Why `text` is not valid Unicode ("unpaired surrogate U+D800 at character 7"), or null. */
export function invalidUnicodeProblem(text: string): string | null {
  const index = loneSurrogateIndex(text);
  if (index === -1) return null;
  return `unpaired surrogate ${codePointName(text.charCodeAt(index))} at character ${characterPosition(text, index)}`;
}
