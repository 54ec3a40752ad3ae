package dev.portcullis.bench;

import dev.portcullis.policy.RequestPath;
import dev.portcullis.policy.Subject;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * The configuration and the requests the benchmarks decide, generated from one seed so that every
 * run measures the same work.
 *
 * <p>The configuration has {@link #APPLICATIONS} applications of ten policies each. Application
 * {@code app-N} is served at {@code app-N.example.com}, except that every tenth is a wildcard
 * ({@code *.tenantN.example.com}) and every fourth (N mod 4 = 3) takes {@code /admin} on the host
 * of the application before it. The policies use every action and most selectors, three shared
 * groups (one requiring another), and lists of twenty addresses that differ per application, so
 * whether a person is allowed depends on the application as well as on the person.
 *
 * <p>Not covered: {@code email_list} (it reads a file and matches exactly as {@code email} does),
 * {@code oidc_group}, {@code certificate} and {@code common_name}.
 */
final class Workload {
  static final int APPLICATIONS = 200;
  /** Requests per array; a power of two so the benchmarks can cycle with a mask. */
  static final int REQUESTS = 1024;
  /** Any fixed seed will do; fixed so that two runs decide the same requests. */
  private static final long SEED = 0x5EED_2025L;

  private static final String OFFICE_V4 = "10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16";
  private static final String OFFICE_V6 = "\"2001:db8:10::/48\", \"fd12:3456::/32\"";

  private Workload() {}

  /** One request as the gateway sees it after TLS and before the policy decision. */
  record Request(String host, String rawPath, String path, Subject subject) {}

  // ---- the configuration

  /** The whole configuration file. */
  static String configuration() {
    StringBuilder yaml = new StringBuilder(1 << 20);
    yaml.append("""
        auth:
          url: https://auth.example.com
        identity_providers:
          - { id: email, type: onetimepin, delivery: console }
        groups:
          staff:
            include:
              - email_domain: [example.com, corp.example.com]
            exclude:
              - email: [%s]
          office:
            include:
              - ip: [%s, %s]
          engineering:
            include:
              - github_team: [acme/platform, acme/sre, acme/web]
              - oidc_claim: { name: department, value: engineering }
            require:
              - group: office
        applications:
        """.formatted(emails("former", "example.com", 0, 20), OFFICE_V4, OFFICE_V6));
    for (int n = 0; n < APPLICATIONS; n++) {
      application(yaml, n);
    }
    return yaml.toString();
  }

  private static void application(StringBuilder yaml, int n) {
    yaml.append("  - name: app-").append(n).append('\n');
    if (wildcard(n)) {
      yaml.append("    host: \"*.tenant").append(n).append(".example.com\"\n");
    } else if (admin(n)) {
      yaml.append("    host: app-").append(n - 1).append(".example.com\n");
      yaml.append("    path: /admin\n");
    } else {
      yaml.append("    host: app-").append(n).append(".example.com\n");
    }
    yaml.append("    upstream: http://127.0.0.1:").append(9000 + n).append('\n');
    if (n % 3 == 0) {
      yaml.append("    identity_providers: [email]\n");
    }
    yaml.append("    policies:\n");

    // File order is rotated per application; the engine orders by action class anyway, but
    // inside a class the order decides which policy is tried first.
    List<String> policies = policies(n);
    for (int k = 0; k < policies.size(); k++) {
      yaml.append(policies.get((k + n) % policies.size()));
    }
  }

  private static List<String> policies(int n) {
    return List.of(
        """
              - name: health-checks
                action: bypass
                include:
                  - ip: [10.250.0.0/24, "fd00:250::/64"]
        """,
        """
              - name: deploy-bot
                action: service_auth
                include:
                  - service_token: [deployer, ci-%d]
        """.formatted(n % 8),
        """
              - name: metrics-scraper
                action: service_auth
                include:
                  - service_token: prometheus
                require:
                  - ip: [10.250.0.0/16, "fd00:250::/48"]
        """,
        """
              - name: banned
                action: block
                include:
                  - email: [%s]
        """.formatted(emails("banned", "outside.example.org", n * 3, 60)),
        """
              - name: contractors-off-site
                action: block
                include:
                  - email_domain: contractor.example.net
                exclude:
                  - group: office
        """,
        """
              - name: owners
                action: allow
                include:
                  - email: [%s]
                require:
                  - idp: email
        """.formatted(emails("owner", "partner.example.org", n * 5, 200)),
        // The admin part of a host is for staff in the office only.
        admin(n) ? """
              - name: staff-in-office
                action: allow
                include:
                  - group: staff
                require:
                  - group: office
        """ : """
              - name: staff
                action: allow
                include:
                  - group: staff
        """,
        """
              - name: engineers
                action: allow
                include:
                  - group: engineering
        """,
        """
              - name: github-members
                action: allow
                include:
                  - github_org: [acme, acme-labs]
                exclude:
                  - email_domain: contractor.example.net
        """,
        """
              - name: finance
                action: allow
                include:
                  - oidc_claim: { name: department, value: finance }
                  - email_domain: finance.example.com
                require:
                  - ip: [10.0.0.0/8, "2001:db8:10::/48"]
        """);
  }

  /** Twenty addresses {@code prefixK@domain}, K running from {@code start} modulo {@code mod}. */
  private static String emails(String prefix, String domain, int start, int mod) {
    List<String> out = new ArrayList<>();
    for (int k = 0; k < 20; k++) {
      out.add(prefix + (start + k) % mod + "@" + domain);
    }
    return String.join(", ", out);
  }

  private static boolean wildcard(int n) {
    return n % 10 == 9;
  }

  /** Never true next to a wildcard: n mod 4 = 3 makes n odd and n - 1 mod 10 never 9. */
  private static boolean admin(int n) {
    return n % 4 == 3;
  }

  // ---- the requests

  /** Requests of signed-in people, spread over every application. */
  static Request[] people() {
    Random random = new Random(SEED);
    Request[] out = new Request[REQUESTS];
    for (int k = 0; k < REQUESTS; k++) {
      out[k] = request(random, person(random, k));
    }
    return out;
  }

  /** Requests carrying a service token, spread over every application. */
  static Request[] machines() {
    Random random = new Random(SEED + 1);
    Request[] out = new Request[REQUESTS];
    for (int k = 0; k < REQUESTS; k++) {
      out[k] = request(random, machine(random));
    }
    return out;
  }

  private static Request request(Random random, Subject subject) {
    int n = random.nextInt(APPLICATIONS);
    String host;
    if (wildcard(n)) {
      host = pick(random, "eu", "us", "staging", "ci-42") + ".tenant" + n + ".example.com";
    } else {
      host = "app-" + (admin(n) ? n - 1 : n) + ".example.com";
    }
    // Some clients send the port or capitals; the lookup has to normalize them.
    if (random.nextInt(8) == 0) {
      host = host.toUpperCase(java.util.Locale.ROOT) + ":443";
    }
    String raw = admin(n) ? adminPath(random) : path(random);
    if (!(RequestPath.normalize(raw, true) instanceof RequestPath.Normalized normalized)) {
      throw new IllegalStateException("generated a path the gateway refuses: " + raw);
    }
    return new Request(host, raw, normalized.path(), subject);
  }

  /** Paths as browsers and API clients send them, a few needing real normalization. */
  private static String path(Random random) {
    int id = random.nextInt(100_000);
    return switch (random.nextInt(10)) {
      case 0 -> "/";
      case 1 -> "/dashboard";
      case 2 -> "/api/v1/projects/" + id + "/issues";
      case 3 -> "/static/js/app." + Integer.toHexString(id * 2654435) + ".js";
      case 4 -> "/d/" + Integer.toHexString(id) + "/service-overview/";
      case 5 -> "//api/v1//search";
      case 6 -> "/docs/./getting-started/../install";
      case 7 -> "/files/%7Eshared/report%2D" + id + ".pdf";
      case 8 -> "/search/caf%c3%a9;jsessionid=" + id;
      default -> "/api/v2/items/" + id + "/comments/" + random.nextInt(50);
    };
  }

  private static String adminPath(Random random) {
    int id = random.nextInt(10_000);
    return switch (random.nextInt(4)) {
      case 0 -> "/admin";
      case 1 -> "/admin/users/" + id;
      case 2 -> "/admin/settings/../audit/" + id;
      default -> "/admin//jobs/" + id + "/";
    };
  }

  /**
   * A signed-in person. The mix is chosen so that about half the decisions allow: staff, owners
   * and engineers get in, banned people and contractors away from the office are blocked, and
   * outsiders and former staff try every policy and are refused, which is the slowest path.
   */
  private static Subject person(Random random, int k) {
    int roll = random.nextInt(100);
    Subject.Builder person = Subject.builder().idp("email");
    if (roll < 2) {
      // The monitoring network is bypassed for everyone, signed in or not.
      return person.email("ops" + k + "@example.com").clientAddress(address("10.250.0." + k % 250))
          .build();
    } else if (roll < 30) {
      return person.email("staff" + k + (k % 2 == 0 ? "@example.com" : "@corp.example.com"))
          .clientAddress(random.nextInt(10) < 6 ? office(random) : outside(random)).build();
    } else if (roll < 42) {
      person.email("dev" + k + "@users.example.dev").githubOrgs(Set.of("acme"));
      if (k % 2 == 0) {
        person.githubTeams(Set.of("acme/platform", "acme/docs"));
      } else {
        person.claims(Map.of("department", List.of("engineering")));
      }
      return person.clientAddress(random.nextInt(10) < 8 ? office(random) : outside(random))
          .build();
    } else if (roll < 50) {
      return person.email("gh" + k + "@mail.example.dev").githubOrgs(Set.of("acme-labs"))
          .clientAddress(outside(random)).build();
    } else if (roll < 60) {
      person.email("c" + k + "@contractor.example.net");
      if (k % 3 == 0) {
        person.githubOrgs(Set.of("acme"));
      }
      return person.clientAddress(random.nextBoolean() ? office(random) : outside(random))
          .build();
    } else if (roll < 70) {
      return person.email("owner" + random.nextInt(200) + "@partner.example.org")
          .clientAddress(outside(random)).build();
    } else if (roll < 80) {
      return person.email("banned" + random.nextInt(60) + "@outside.example.org")
          .clientAddress(outside(random)).build();
    } else if (roll < 85) {
      return person.email("former" + random.nextInt(20) + "@example.com")
          .clientAddress(office(random)).build();
    } else if (roll < 90) {
      return person.email("fin" + k + "@finance.example.com")
          .claims(Map.of("department", List.of("finance", "reporting")))
          .clientAddress(office(random)).build();
    }
    return person.email("someone" + k + "@gmail.example").clientAddress(outside(random)).build();
  }

  /** A service token: valid everywhere, valid on one application in eight, scoped to the
   * monitoring network, or unknown to every policy. */
  private static Subject machine(Random random) {
    int roll = random.nextInt(10);
    Subject.Builder machine = Subject.builder();
    if (roll < 3) {
      return machine.serviceToken("deployer").clientAddress(outside(random)).build();
    } else if (roll < 5) {
      return machine.serviceToken("ci-" + random.nextInt(8)).clientAddress(outside(random))
          .build();
    } else if (roll < 8) {
      InetAddress from = switch (random.nextInt(3)) {
        case 0 -> address("10.250." + (1 + random.nextInt(200)) + "." + random.nextInt(256));
        case 1 -> address("fd00:250:0:" + Integer.toHexString(1 + random.nextInt(4000)) + "::9");
        default -> outside(random);
      };
      return machine.serviceToken("prometheus").clientAddress(from).build();
    }
    return machine.serviceToken("backup").clientAddress(office(random)).build();
  }

  private static InetAddress office(Random random) {
    return switch (random.nextInt(3)) {
      case 0 -> address("10." + random.nextInt(250) + "." + random.nextInt(256) + ".7");
      case 1 -> address("192.168." + random.nextInt(256) + "." + (1 + random.nextInt(254)));
      default -> address("2001:db8:10:" + Integer.toHexString(random.nextInt(65536)) + "::1");
    };
  }

  private static InetAddress outside(Random random) {
    return switch (random.nextInt(3)) {
      case 0 -> address("203.0.113." + (1 + random.nextInt(254)));
      case 1 -> address("198.51.100." + (1 + random.nextInt(254)));
      default -> address("2001:db8:ffff:" + Integer.toHexString(random.nextInt(65536)) + "::2");
    };
  }

  /** Parses a literal address; InetAddress does no DNS lookup for a literal. */
  private static InetAddress address(String literal) {
    try {
      return InetAddress.getByName(literal);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(literal, e);
    }
  }

  private static String pick(Random random, String... choices) {
    return choices[random.nextInt(choices.length)];
  }
}
