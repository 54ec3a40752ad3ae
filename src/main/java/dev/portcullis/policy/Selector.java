package dev.portcullis.policy;

import java.util.Set;
import java.util.stream.Collectors;

/**
 * One test inside a rule. Selectors are pure functions of the {@link Subject}; missing data
 * never matches, so an unknown email or address cannot widen access.
 */
public sealed interface Selector {

  boolean matches(Subject subject);

  /** The selector in the words of the configuration file, for decision traces. */
  String describe();

  /** {@code everyone: true}: any signed-in identity. */
  record Everyone() implements Selector {
    @Override
    public boolean matches(Subject subject) {
      return subject.signedIn();
    }

    @Override
    public String describe() {
      return "everyone";
    }
  }

  /** {@code email: [...]}: exact addresses, compared lower-cased. */
  record Email(Set<String> addresses) implements Selector {
    public Email {
      addresses = Set.copyOf(addresses);
    }

    @Override
    public boolean matches(Subject subject) {
      return subject.email() != null && addresses.contains(subject.email());
    }

    @Override
    public String describe() {
      return "email in [" + addresses.stream().sorted().collect(Collectors.joining(", ")) + "]";
    }
  }

  /** {@code email_domain: [...]}: the part after the last {@code @}, exactly; no subdomains. */
  record EmailDomain(Set<String> domains) implements Selector {
    public EmailDomain {
      domains = Set.copyOf(domains);
    }

    @Override
    public boolean matches(Subject subject) {
      String email = subject.email();
      if (email == null) {
        return false;
      }
      int at = email.lastIndexOf('@');
      return at > 0 && domains.contains(email.substring(at + 1));
    }

    @Override
    public String describe() {
      return "email domain in ["
          + domains.stream().sorted().collect(Collectors.joining(", ")) + "]";
    }
  }
}
