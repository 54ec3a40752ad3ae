package dev.portcullis.policy;

import java.net.InetAddress;

/**
 * The facts a decision may look at: who (from a verified token) and where from.
 *
 * @param email the verified, lower-cased email, or null when nobody is signed in
 * @param idp the id of the identity provider that proved it, or null
 * @param clientAddress the client's address as established through {@code trusted_proxies}
 */
public record Subject(String email, String idp, InetAddress clientAddress) {

  /** A request that carries no identity at all. */
  public static Subject anonymous(InetAddress clientAddress) {
    return new Subject(null, null, clientAddress);
  }

  public boolean signedIn() {
    return email != null;
  }
}
