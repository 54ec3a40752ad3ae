package dev.portcullis.policy;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A set of CIDR networks compiled for lookup by prefix: for each prefix length that occurs, a
 * hash set of the networks of that length. A lookup masks the address once per distinct length
 * (at most 33 for IPv4, 129 for IPv6, in practice a handful), so its cost does not grow with
 * the number of networks.
 */
public final class CidrSet {
  private final List<Cidr> networks;
  /** Distinct prefix lengths, longest first, with the masked networks of that length. */
  private final List<Map.Entry<Integer, Set<Key>>> v4;
  private final List<Map.Entry<Integer, Set<Key>>> v6;

  public CidrSet(Collection<Cidr> networks) {
    this.networks = List.copyOf(networks);
    this.v4 = index(networks, 4);
    this.v6 = index(networks, 16);
  }

  public List<Cidr> networks() {
    return networks;
  }

  public boolean contains(InetAddress address) {
    if (address == null) {
      return false;
    }
    byte[] bytes = address.getAddress();
    for (Map.Entry<Integer, Set<Key>> level : bytes.length == 4 ? v4 : v6) {
      if (level.getValue().contains(Key.of(bytes, level.getKey()))) {
        return true;
      }
    }
    return false;
  }

  private static List<Map.Entry<Integer, Set<Key>>> index(Collection<Cidr> networks, int size) {
    Map<Integer, Set<Key>> byLength = new HashMap<>();
    for (Cidr cidr : networks) {
      if (cidr.network().length == size) {
        byLength.computeIfAbsent(cidr.prefixLength(), l -> new HashSet<>())
            .add(Key.of(cidr.network(), cidr.prefixLength()));
      }
    }
    List<Map.Entry<Integer, Set<Key>>> levels = new ArrayList<>(byLength.entrySet());
    levels.sort((a, b) -> Integer.compare(b.getKey(), a.getKey()));
    return List.copyOf(levels);
  }

  /** An address masked to a prefix, as two longs (IPv4 uses the first only). */
  private record Key(long high, long low) {
    static Key of(byte[] address, int prefix) {
      long high = 0;
      long low = 0;
      for (int i = 0; i < address.length; i++) {
        int bits = Math.max(0, Math.min(8, prefix - i * 8));
        long b = address[i] & (0xff << (8 - bits)) & 0xff;
        if (i < 8) {
          high = (high << 8) | b;
        } else {
          low = (low << 8) | b;
        }
      }
      return new Key(high, low);
    }
  }

  @Override
  public String toString() {
    return networks.toString();
  }
}
