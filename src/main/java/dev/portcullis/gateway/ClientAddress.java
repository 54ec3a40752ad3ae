package dev.portcullis.gateway;

import dev.portcullis.policy.Cidr;
import io.vertx.core.http.HttpServerRequest;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Establishes the client's address. {@code X-Forwarded-For} is believed only as far as it was
 * written by trusted proxies: walking the chain from the right, the first address that is not a
 * trusted proxy is the client. With no trusted proxies the peer address is the client.
 */
public final class ClientAddress {
  private final List<Cidr> trustedProxies;

  public ClientAddress(List<Cidr> trustedProxies) {
    this.trustedProxies = List.copyOf(trustedProxies);
  }

  /** The client and the chain to send upstream in {@code X-Forwarded-For}. */
  public record Resolved(InetAddress client, String forwardedFor) {}

  public Resolved resolve(HttpServerRequest request) {
    InetAddress peer = parse(request.remoteAddress().hostAddress());
    if (peer == null || !trusted(peer)) {
      String text = peer == null ? request.remoteAddress().hostAddress() : peer.getHostAddress();
      return new Resolved(peer, text);
    }
    List<String> chain = new ArrayList<>();
    for (String header : request.headers().getAll("X-Forwarded-For")) {
      for (String hop : header.split(",")) {
        if (!hop.isBlank()) {
          chain.add(hop.strip());
        }
      }
    }
    chain.add(peer.getHostAddress());
    InetAddress client = peer;
    for (int i = chain.size() - 1; i >= 0; i--) {
      InetAddress hop = parse(chain.get(i));
      if (hop == null) {
        // A trusted proxy wrote something that is no address: the client is unknown, so no
        // ip rule can match, rather than the proxy being taken for the client.
        client = null;
        break;
      }
      client = hop;
      if (!trusted(hop)) {
        break;
      }
    }
    return new Resolved(client, String.join(", ", chain));
  }

  private boolean trusted(InetAddress address) {
    return trustedProxies.stream().anyMatch(c -> c.contains(address));
  }

  /** Parses a literal address only; never resolves names. */
  private static InetAddress parse(String text) {
    return dev.portcullis.policy.Cidr.literal(text);
  }
}
