package dev.portcullis.config;

/** One configuration problem, printed as {@code FILE:LINE:COL: message}. */
public record Problem(String file, int line, int column, String message) {

  @Override
  public String toString() {
    return file + ":" + line + ":" + column + ": " + message;
  }
}
