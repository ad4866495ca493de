/** A turn waited longer than allowed for the turns ahead of it on its session. */
export class SessionBusyError extends Error {
  override name = "SessionBusyError";
}
