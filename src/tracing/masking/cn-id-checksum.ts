const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS = "10X98765432";

/**
 * GB 11643-1999: the 18th character of a Chinese resident ID number is a checksum of the first
 * 17 digits (ISO 7064 MOD 11-2). Checking it keeps other 18-digit numbers out of the mask.
 */
export function isValidCnId(id: string): boolean {
  if (!/^\d{17}[\dXx]$/.test(id)) return false;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (id.charCodeAt(i) - 48) * WEIGHTS[i]!;
  return CHECK_CHARS[sum % 11] === id[17]!.toUpperCase();
}
