package dev.portcullis.gateway;

import dev.portcullis.identity.OneTimePins;
import dev.portcullis.identity.PinMailer;
import dev.portcullis.policy.PolicyEngine;
import dev.portcullis.proxy.Forwarder;
import dev.portcullis.session.Hmac;
import dev.portcullis.session.KeyRing;
import dev.portcullis.session.Revocations;
import dev.portcullis.session.Tokens;
import dev.portcullis.store.Store;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.util.concurrent.Callable;

/**
 * The long-lived parts the handlers share, independent of configuration reloads.
 *
 * @param codes keyed hashes of one-use handoff codes
 * @param consoleMailer delivers PINs of {@code delivery: console} providers
 * @param pinsPerEmail how many PINs one address may request per window
 * @param pinsPerClient how many PINs one client address may request per window
 * @param sealer seals secrets kept in the store (GitHub tokens for membership re-checks)
 * @param serviceTokens verifies service tokens from an in-memory snapshot of the store
 */
record Services(
    Vertx vertx, Clock clock, Store store, KeyRing keys, Tokens tokens, Revocations revocations,
    OneTimePins pins, Hmac codes, Csrf csrf, PinMailer consoleMailer,
    RateLimiter pinsPerEmail, RateLimiter pinsPerClient, PolicyEngine engine,
    Responses responses, dev.portcullis.web.Pages pages, Forwarder forwarder,
    dev.portcullis.session.KeySealer sealer,
    dev.portcullis.machine.ServiceTokenVerifier serviceTokens, Counters counters,
    dev.portcullis.proxy.WebSocketForwarder webSockets) {

  /** Runs store work on a worker thread; never call the store from an event loop. */
  <T> Future<T> blocking(Callable<T> work) {
    return vertx.executeBlocking(work, false);
  }
}
