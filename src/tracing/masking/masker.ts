/** Replaces sensitive substrings of one text; returns the text unchanged when there are none. */
export type Masker = (text: string) => string;
