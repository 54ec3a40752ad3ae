package dev.portcullis.machine;

/**
 * A service token operation that cannot be done as asked. Callers (the CLI) act on
 * {@link #kind()}; the message is a sentence for a person and names no secret.
 */
public final class ServiceTokenException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Why the operation was refused. */
  public enum Kind {
    /** The name is not lower-case letters, digits, '-' and '_', 1 to 63 long. */
    INVALID_NAME,
    /** A duration or grace period is negative, zero where that is not allowed, or too long. */
    INVALID_DURATION,
    /** An unrevoked token (maybe expired) already has this name. */
    NAME_TAKEN,
    /** No unrevoked token has this name. */
    NOT_FOUND,
    /** The token has expired; rotating it would hand out a secret that nothing accepts. */
    EXPIRED
  }

  private final Kind kind;

  public ServiceTokenException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
