package dev.portcullis.identity;

import io.vertx.core.Future;

/** Delivers PINs. Implementations must not log the code. */
public interface PinMailer {

  /** Completes when the message was handed over for delivery; fails with the delivery error. */
  Future<Void> send(PinMessage message);

  /** Releases connections; the mailer is not used afterwards. */
  default Future<Void> close() {
    return Future.succeededFuture();
  }
}
