package dev.portcullis.identity;

import java.time.Duration;

/** A PIN on its way to a person. {@code toString()} never shows the code. */
public record PinMessage(String to, String application, String code, Duration lifetime) {

  public String subject() {
    return "Your sign-in code for " + application;
  }

  public String body() {
    long minutes = lifetime.toMinutes();
    return "Your code to sign in to " + application + " is:\n\n    " + code + "\n\n"
        + "It is valid for " + minutes + " minutes and works once.\n"
        + "If you did not ask for it, ignore this message: nobody can use it without your "
        + "mailbox.\n";
  }

  @Override
  public String toString() {
    return "PinMessage[to=" + to + ", application=" + application + "]";
  }
}
