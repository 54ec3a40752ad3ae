package dev.portcullis.policy;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * An IPv4 or IPv6 network in CIDR notation. A bare address is a network of one. An IPv4 network
 * never contains an IPv6 address and the other way round; an IPv4-mapped IPv6 address
 * ({@code ::ffff:10.0.0.1}) is parsed by Java as the IPv4 address it carries, and counts as one.
 */
public record Cidr(byte[] network, int prefixLength, String text) {
  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
  private static final Pattern IPV6_CHARS = Pattern.compile("[0-9a-fA-F:.]+");

  /**
   * Parses {@code 10.0.0.0/8}, {@code 2001:db8::/32} or a bare address.
   *
   * @throws IllegalArgumentException with a message fit for a person, when it is not one
   */
  public static Cidr parse(String text) {
    String trimmed = text.trim();
    int slash = trimmed.indexOf('/');
    String address = slash < 0 ? trimmed : trimmed.substring(0, slash);
    InetAddress parsed = literal(address);
    if (parsed == null) {
      throw new IllegalArgumentException("'" + text + "' is not an IP address or CIDR network");
    }
    byte[] bytes = parsed.getAddress();
    int max = bytes.length * 8;
    int prefix = max;
    if (slash >= 0) {
      try {
        prefix = Integer.parseInt(trimmed.substring(slash + 1));
      } catch (NumberFormatException e) {
        prefix = -1;
      }
      if (prefix < 0 || prefix > max) {
        throw new IllegalArgumentException(
            "'" + text + "' has a prefix length outside 0.." + max);
      }
    }
    return new Cidr(mask(bytes, prefix), prefix, trimmed);
  }

  /**
   * Parses an IP address literal, or returns null. Never consults DNS: only a dotted IPv4
   * quad or text with a colon (IPv6) reaches {@link InetAddress#getByName}, which resolves
   * neither; a host name, even one made of hex letters such as {@code cafe}, is refused first.
   */
  public static InetAddress literal(String text) {
    if (text == null || !(IPV4.matcher(text).matches()
        || text.indexOf(':') >= 0 && IPV6_CHARS.matcher(text).matches())) {
      return null;
    }
    try {
      return InetAddress.getByName(text);
    } catch (UnknownHostException e) {
      return null;
    }
  }

  public boolean contains(InetAddress address) {
    byte[] candidate = address.getAddress();
    if (candidate.length != network.length) {
      return false;
    }
    byte[] masked = mask(candidate, prefixLength);
    return java.util.Arrays.equals(masked, network);
  }

  private static byte[] mask(byte[] bytes, int prefix) {
    byte[] out = bytes.clone();
    for (int i = 0; i < out.length; i++) {
      int bitsHere = Math.max(0, Math.min(8, prefix - i * 8));
      out[i] = (byte) (out[i] & (0xff << (8 - bitsHere)));
    }
    return out;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Cidr c && c.text.equals(text);
  }

  @Override
  public int hashCode() {
    return text.hashCode();
  }

  @Override
  public String toString() {
    return text;
  }
}
