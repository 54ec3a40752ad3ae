package dev.portcullis.config;

/** A configured secret. Its {@code toString()} shows only whether it is set. */
public final class Secret {
  private final String value;

  public Secret(String value) {
    this.value = value;
  }

  /** The secret itself; never pass it to a logger or an exception message. */
  public String reveal() {
    return value;
  }

  @Override
  public String toString() {
    return value == null || value.isEmpty() ? "Secret[unset]" : "Secret[set]";
  }
}
