package dev.portcullis.identity;

import dev.portcullis.session.Hmac;
import dev.portcullis.store.Store;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One-time PINs for the {@code onetimepin} identity provider.
 *
 * <p>A PIN is six digits from {@link SecureRandom}, valid for {@link #LIFETIME}, stored only as
 * an HMAC keyed by a server secret (six digits are too few for a plain hash to hide), used at
 * most once and refused after {@link #MAX_ATTEMPTS} wrong tries. A new PIN for the same email
 * replaces the previous one. Every method blocks on the store.
 */
public final class OneTimePins {
  /** Long enough to switch to a mail client and back, short enough to bound guessing. */
  public static final Duration LIFETIME = Duration.ofMinutes(10);
  /** Wrong tries per PIN; with six digits the odds of a guess stay below 1 in 200,000. */
  public static final int MAX_ATTEMPTS = 5;
  private static final Pattern SIX_DIGITS = Pattern.compile("[0-9]{6}");

  private final Store store;
  private final Hmac hmac;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();

  public OneTimePins(Store store, Hmac hmac, Clock clock) {
    this.store = store;
    this.hmac = hmac;
    this.clock = clock;
  }

  /** Creates a PIN for this email, replacing any earlier one, and returns it to be sent. */
  public String issue(String email, String application) {
    String code = String.format("%06d", random.nextInt(1_000_000));
    store.putPin(email, hmac.hash(email, code), application, clock.instant().plus(LIFETIME));
    return code;
  }

  public enum Outcome {
    ACCEPTED, WRONG, EXPIRED, TOO_MANY_ATTEMPTS, NO_CODE;

    public boolean accepted() {
      return this == ACCEPTED;
    }
  }

  /** Checks a submitted code; an accepted code is gone afterwards. */
  public Outcome verify(String email, String submitted) {
    Optional<Store.PinRecord> found = store.pin(email);
    if (found.isEmpty()) {
      return Outcome.NO_CODE;
    }
    Store.PinRecord pin = found.get();
    if (!pin.expiresAt().isAfter(clock.instant())) {
      store.deletePin(email, pin.codeHash());
      return Outcome.EXPIRED;
    }
    if (pin.attempts() >= MAX_ATTEMPTS) {
      return Outcome.TOO_MANY_ATTEMPTS;
    }
    String code = submitted == null ? "" : submitted.strip();
    if (SIX_DIGITS.matcher(code).matches()
        && Hmac.equal(hmac.hash(email, code), pin.codeHash())) {
      // Only the request that deletes the row wins; a racing duplicate sees NO_CODE.
      return store.deletePin(email, pin.codeHash()) ? Outcome.ACCEPTED : Outcome.NO_CODE;
    }
    int attempts = store.recordPinFailure(email);
    return attempts >= MAX_ATTEMPTS ? Outcome.TOO_MANY_ATTEMPTS : Outcome.WRONG;
  }
}
