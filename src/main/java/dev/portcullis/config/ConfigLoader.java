package dev.portcullis.config;

import dev.portcullis.config.PortcullisConfig.Auth;
import dev.portcullis.config.PortcullisConfig.Delivery;
import dev.portcullis.config.PortcullisConfig.IdentityProvider;
import dev.portcullis.config.PortcullisConfig.Smtp;
import dev.portcullis.config.PortcullisConfig.StartTls;
import dev.portcullis.config.YamlNode.Entry;
import dev.portcullis.config.YamlNode.Mapping;
import dev.portcullis.config.YamlNode.Scalar;
import dev.portcullis.config.YamlNode.Sequence;
import dev.portcullis.policy.Action;
import dev.portcullis.policy.Application;
import dev.portcullis.policy.Applications;
import dev.portcullis.policy.Cidr;
import dev.portcullis.policy.Policy;
import dev.portcullis.policy.Selector;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a configuration file into a {@link PortcullisConfig}, or fails with every problem it
 * found, each naming file, line, column and key. Nothing is bound or written while loading, so a
 * bad file changes nothing.
 *
 * <p>{@code ${NAME}} in a string value is replaced by the environment variable NAME after
 * parsing, so a variable can never inject YAML structure; an unset variable is a problem.
 */
public final class ConfigLoader {
  private static final Pattern ENV = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}");
  private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");
  private static final Pattern HOST = Pattern.compile(
      "(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*");
  private static final Pattern EMAIL = Pattern.compile("[^@\\s]+@[^@\\s]+");
  private static final String WHOAMI = "builtin:whoami";

  private final Function<String, String> environment;

  /** A loader that expands variables from the process environment. */
  public ConfigLoader() {
    this(System::getenv);
  }

  public ConfigLoader(Function<String, String> environment) {
    this.environment = environment;
  }

  public PortcullisConfig load(Path file) throws ConfigException {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new ConfigException(List.of(new Problem(file.toString(), 1, 1, "file not found")));
    } catch (IOException e) {
      throw new ConfigException(
          List.of(new Problem(file.toString(), 1, 1, "cannot read file: " + e.getMessage())));
    }
    return load(file, new StringReader(text));
  }

  /** Loads text as if it came from {@code file}; relative paths resolve against the file. */
  public PortcullisConfig load(Path file, Reader text) throws ConfigException {
    Reading reading = new Reading(file, environment);
    PortcullisConfig config = reading.root(new YamlTreeReader(file.toString(), reading.problems)
        .read(text));
    if (!reading.problems.isEmpty()) {
      reading.problems.sort((a, b) -> a.line() != b.line()
          ? Integer.compare(a.line(), b.line()) : Integer.compare(a.column(), b.column()));
      throw new ConfigException(reading.problems);
    }
    return config;
  }

  /** One pass over one file; collects problems instead of stopping at the first. */
  private static final class Reading {
    final List<Problem> problems = new ArrayList<>();
    final Path file;
    final Function<String, String> environment;

    Reading(Path file, Function<String, String> environment) {
      this.file = file;
      this.environment = environment;
    }

    PortcullisConfig root(YamlNode node) {
      if (node == null) {
        if (problems.isEmpty()) {
          problem(new YamlNode.Location(1, 1), "the file is empty; it needs at least 'auth' "
              + "and 'applications'");
        }
        return null;
      }
      Mapping root = mapping(node, "the file");
      if (root == null) {
        return null;
      }
      onlyKeys(root, "", "listen", "data_dir", "auth", "store", "smtp", "identity_providers",
          "trusted_proxies", "applications");

      String listenHost = "0.0.0.0";
      int listenPort = 8080;
      Scalar listen = scalar(root, "listen", "listen");
      if (listen != null) {
        String text = expand(listen, "listen");
        int colon = text.lastIndexOf(':');
        Integer port = colon < 0 ? null : port(text.substring(colon + 1));
        if (port == null) {
          problem(listen.location(), "listen: '" + text + "' is not HOST:PORT "
              + "(for example 0.0.0.0:8080, 127.0.0.1:8080 or [::1]:8080)");
        } else {
          listenPort = port;
          String host = text.substring(0, colon);
          listenHost = host.isEmpty() ? "0.0.0.0" : host.replaceAll("^\\[(.*)]$", "$1");
        }
      }

      Path base = file.toAbsolutePath().getParent();
      Path dataDir = base.resolve("data");
      Scalar dataDirNode = scalar(root, "data_dir", "data_dir");
      if (dataDirNode != null) {
        dataDir = base.resolve(expand(dataDirNode, "data_dir")).normalize();
      }

      Auth auth = auth(root);
      String storeUrl = store(root, dataDir);
      Optional<Smtp> smtp = smtp(root);
      List<IdentityProvider> idps = identityProviders(root, smtp.isPresent());
      List<Cidr> trustedProxies = trustedProxies(root);
      List<Application> apps = applications(root, idps, auth);
      if (auth == null) {
        return null;
      }
      return new PortcullisConfig(file, listenHost, listenPort, dataDir, auth, storeUrl, smtp,
          idps, trustedProxies, apps);
    }

    Auth auth(Mapping root) {
      Entry entry = root.entries().get("auth");
      if (entry == null) {
        problem(root.location(), "missing key 'auth' (with at least 'url', the auth domain's "
            + "address, such as https://auth.example.com)");
        return null;
      }
      Mapping auth = mapping(entry.value(), "auth");
      if (auth == null) {
        return null;
      }
      onlyKeys(auth, "auth", "url", "session_duration");
      Scalar urlNode = scalar(auth, "url", "auth.url");
      URI url = null;
      if (urlNode == null) {
        if (!auth.entries().containsKey("url")) {
          problem(auth.location(), "missing key 'auth.url' (such as https://auth.example.com)");
        }
      } else {
        url = httpUrl(urlNode, expand(urlNode, "auth.url"), "auth.url", true);
      }
      Duration session = duration(auth, "session_duration", "auth.session_duration",
          Duration.ofHours(24));
      return url == null ? null : new Auth(url, session);
    }

    String store(Mapping root, Path dataDir) {
      Scalar node = scalar(root, "store", "store");
      if (node == null) {
        return "jdbc:sqlite:" + dataDir.resolve("portcullis.db");
      }
      String text = expand(node, "store");
      if (text.startsWith("sqlite:")) {
        Path path = file.toAbsolutePath().getParent().resolve(text.substring("sqlite:".length()));
        return "jdbc:sqlite:" + path.normalize();
      }
      problem(node.location(), "store: '" + text + "' is not supported; use sqlite:PATH "
          + "(PostgreSQL support is not built yet)");
      return null;
    }

    Optional<Smtp> smtp(Mapping root) {
      Entry entry = root.entries().get("smtp");
      if (entry == null) {
        return Optional.empty();
      }
      Mapping smtp = mapping(entry.value(), "smtp");
      if (smtp == null) {
        return Optional.empty();
      }
      onlyKeys(smtp, "smtp", "host", "port", "username", "password", "from", "starttls");
      String host = requiredString(smtp, "host", "smtp.host");
      Integer port = 587;
      Scalar portNode = scalar(smtp, "port", "smtp.port");
      if (portNode != null) {
        port = port(expand(portNode, "smtp.port"));
        if (port == null) {
          problem(portNode.location(), "smtp.port: '" + portNode.text()
              + "' is not a port number (1-65535)");
        }
      }
      String username = optionalString(smtp, "username", "smtp.username");
      String password = optionalString(smtp, "password", "smtp.password");
      String from = requiredString(smtp, "from", "smtp.from");
      if (from != null && !EMAIL.matcher(from.replaceAll(".*<(.*)>.*", "$1")).matches()) {
        problem(smtp.entries().get("from").value().location(),
            "smtp.from: '" + from + "' is not an email address");
      }
      StartTls starttls = choice(smtp, "starttls", "smtp.starttls", StartTls.class,
          StartTls.REQUIRED);
      if (host == null || port == null || from == null) {
        return Optional.empty();
      }
      return Optional.of(new Smtp(host, port, username, new Secret(password), from, starttls));
    }

    List<IdentityProvider> identityProviders(Mapping root, boolean haveSmtp) {
      List<IdentityProvider> out = new ArrayList<>();
      Entry entry = root.entries().get("identity_providers");
      if (entry == null) {
        problem(root.location(), "missing key 'identity_providers' (at least one, such as "
            + "{ id: email, type: onetimepin })");
        return out;
      }
      Sequence list = sequence(entry.value(), "identity_providers");
      if (list == null) {
        return out;
      }
      if (list.items().isEmpty()) {
        problem(list.location(), "identity_providers: at least one is needed");
      }
      Set<String> ids = new HashSet<>();
      for (int i = 0; i < list.items().size(); i++) {
        String where = "identity_providers[" + i + "]";
        Mapping idp = mapping(list.items().get(i), where);
        if (idp == null) {
          continue;
        }
        onlyKeys(idp, where, "id", "type", "name", "delivery");
        String id = requiredString(idp, "id", where + ".id");
        if (id != null && !ID.matcher(id).matches()) {
          problem(idp.entries().get("id").value().location(), where + ".id: '" + id
              + "' must be lower-case letters, digits, '-' or '_'");
          id = null;
        } else if (id != null && !ids.add(id)) {
          problem(idp.entries().get("id").value().location(),
              where + ".id: '" + id + "' is used twice");
        }
        String type = requiredString(idp, "type", where + ".type");
        if (type != null && !type.equals("onetimepin")) {
          problem(idp.entries().get("type").value().location(), where + ".type: '" + type
              + "' is not supported; expected onetimepin");
          type = null;
        }
        String name = optionalString(idp, "name", where + ".name");
        Delivery delivery = choice(idp, "delivery", where + ".delivery", Delivery.class,
            Delivery.SMTP);
        if (delivery == Delivery.SMTP && !haveSmtp && "onetimepin".equals(type)) {
          problem(idp.location(), where + ": a onetimepin provider needs the 'smtp' section "
              + "to send codes (or delivery: console, for trying Portcullis out)");
        }
        if (id != null && type != null) {
          out.add(new IdentityProvider(id, type, name == null ? "Email" : name, delivery));
        }
      }
      return out;
    }

    List<Cidr> trustedProxies(Mapping root) {
      List<Cidr> out = new ArrayList<>();
      for (Scalar item : stringList(root, "trusted_proxies", "trusted_proxies")) {
        try {
          out.add(Cidr.parse(expand(item, "trusted_proxies")));
        } catch (IllegalArgumentException e) {
          problem(item.location(), "trusted_proxies: " + e.getMessage());
        }
      }
      return out;
    }

    List<Application> applications(Mapping root, List<IdentityProvider> idps, Auth auth) {
      List<Application> out = new ArrayList<>();
      Entry entry = root.entries().get("applications");
      if (entry == null) {
        problem(root.location(), "missing key 'applications' (the sites to protect)");
        return out;
      }
      Sequence list = sequence(entry.value(), "applications");
      if (list == null) {
        return out;
      }
      Map<String, String> hosts = new HashMap<>();
      Set<String> names = new HashSet<>();
      for (int i = 0; i < list.items().size(); i++) {
        String where = "applications[" + i + "]";
        Mapping app = mapping(list.items().get(i), where);
        if (app == null) {
          continue;
        }
        onlyKeys(app, where, "name", "host", "upstream", "upstream_timeout", "session_duration",
            "identity_providers", "policies");
        String name = requiredString(app, "name", where + ".name");
        if (name != null && !ID.matcher(name).matches()) {
          problem(app.entries().get("name").value().location(), where + ".name: '" + name
              + "' must be lower-case letters, digits, '-' or '_'");
          name = null;
        } else if (name != null && !names.add(name)) {
          problem(app.entries().get("name").value().location(),
              where + ".name: '" + name + "' is used twice");
        }
        String label = name == null ? where : "application '" + name + "'";
        String host = requiredString(app, "host", where + ".host");
        if (host != null) {
          String normalized = Applications.normalizeHost(host);
          YamlNode.Location at = app.entries().get("host").value().location();
          if (host.contains(":") || !HOST.matcher(normalized).matches()) {
            problem(at, where + ".host: '" + host + "' is not a host name (write it without "
                + "scheme, port or path, such as grafana.example.com)");
            host = null;
          } else if (auth != null && normalized.equals(auth.host())) {
            problem(at, where + ".host: '" + host + "' is the auth domain's host");
            host = null;
          } else if (hosts.containsKey(normalized)) {
            problem(at, where + ".host: '" + host + "' is already used by "
                + hosts.get(normalized));
            host = null;
          } else {
            host = normalized;
            hosts.put(host, label);
          }
        }
        URI upstream = null;
        Scalar upstreamNode = scalar(app, "upstream", where + ".upstream");
        if (upstreamNode == null) {
          if (!app.entries().containsKey("upstream")) {
            problem(app.location(), "missing key '" + where + ".upstream' (such as "
                + "http://127.0.0.1:3000)");
          }
        } else {
          int before = problems.size();
          String text = expand(upstreamNode, where + ".upstream");
          if (problems.size() > before) {
            upstream = null;
          } else if (WHOAMI.equals(text)) {
            upstream = URI.create(WHOAMI);
          } else {
            upstream = httpUrl(upstreamNode, text, where + ".upstream", false);
          }
        }
        Duration session = duration(app, "session_duration", where + ".session_duration", null);
        Duration timeout = duration(app, "upstream_timeout", where + ".upstream_timeout",
            Application.DEFAULT_UPSTREAM_TIMEOUT);
        List<String> allowedIdps = new ArrayList<>();
        for (Scalar idp : stringList(app, "identity_providers", where + ".identity_providers")) {
          String id = expand(idp, where + ".identity_providers");
          if (idps.stream().noneMatch(p -> p.id().equals(id))) {
            problem(idp.location(), where + ".identity_providers: '" + id
                + "' is not an identity provider id; configured: "
                + String.join(", ", idps.stream().map(IdentityProvider::id).toList()));
          } else {
            allowedIdps.add(id);
          }
        }
        List<Policy> policies = policies(app, where);
        if (name != null && host != null && upstream != null) {
          out.add(new Application(name, host, upstream, session, policies, allowedIdps,
              timeout));
        }
      }
      return out;
    }

    List<Policy> policies(Mapping app, String appWhere) {
      List<Policy> out = new ArrayList<>();
      Entry entry = app.entries().get("policies");
      if (entry == null) {
        problem(app.location(), "missing key '" + appWhere + ".policies' (without a policy "
            + "nobody may enter)");
        return out;
      }
      Sequence list = sequence(entry.value(), appWhere + ".policies");
      if (list == null) {
        return out;
      }
      if (list.items().isEmpty()) {
        problem(list.location(), appWhere + ".policies: at least one policy is needed");
      }
      Set<String> names = new HashSet<>();
      for (int i = 0; i < list.items().size(); i++) {
        String where = appWhere + ".policies[" + i + "]";
        Mapping policy = mapping(list.items().get(i), where);
        if (policy == null) {
          continue;
        }
        onlyKeys(policy, where, "name", "action", "include", "require", "exclude");
        String name = requiredString(policy, "name", where + ".name");
        if (name != null && !names.add(name)) {
          problem(policy.entries().get("name").value().location(),
              where + ".name: '" + name + "' is used twice in this application");
        }
        Action action = null;
        Scalar actionNode = scalar(policy, "action", where + ".action");
        if (actionNode == null) {
          if (!policy.entries().containsKey("action")) {
            problem(policy.location(), "missing key '" + where + ".action' (allow or block)");
          }
        } else {
          String text = expand(actionNode, where + ".action");
          action = switch (text) {
            case "allow" -> Action.ALLOW;
            case "block" -> Action.BLOCK;
            default -> {
              problem(actionNode.location(), where + ".action: '" + text
                  + "' is not an action; expected allow or block");
              yield null;
            }
          };
        }
        List<Selector> include = rules(policy, "include", where);
        List<Selector> require = rules(policy, "require", where);
        List<Selector> exclude = rules(policy, "exclude", where);
        if (include.isEmpty() && !policy.entries().containsKey("include")) {
          problem(policy.location(), "missing key '" + where + ".include' (whom the policy is "
              + "about, such as - everyone: true)");
        } else if (include.isEmpty()) {
          Entry inc = policy.entries().get("include");
          if (inc.value() instanceof Sequence s && s.items().isEmpty()) {
            problem(inc.value().location(), where + ".include: at least one rule is needed");
          }
        }
        if (name != null && action != null && !include.isEmpty()) {
          out.add(new Policy(name, action, include, require, exclude));
        }
      }
      return out;
    }

    List<Selector> rules(Mapping policy, String key, String policyWhere) {
      List<Selector> out = new ArrayList<>();
      Entry entry = policy.entries().get(key);
      if (entry == null) {
        return out;
      }
      String where = policyWhere + "." + key;
      Sequence list = sequence(entry.value(), where);
      if (list == null) {
        return out;
      }
      for (int i = 0; i < list.items().size(); i++) {
        String itemWhere = where + "[" + i + "]";
        Mapping rule = mapping(list.items().get(i), itemWhere);
        if (rule == null) {
          continue;
        }
        if (rule.entries().size() != 1) {
          problem(rule.location(), itemWhere + ": a rule has exactly one selector "
              + "(everyone, email or email_domain); write several rules as several list items");
          continue;
        }
        Entry selector = rule.entries().values().iterator().next();
        Selector parsed = selector(selector, itemWhere + "." + selector.key());
        if (parsed != null) {
          out.add(parsed);
        }
      }
      return out;
    }

    Selector selector(Entry entry, String where) {
      switch (entry.key()) {
        case "everyone" -> {
          if (entry.value() instanceof Scalar s && s.type() == YamlNode.ScalarType.BOOLEAN
              && "true".equals(s.text())) {
            return new Selector.Everyone();
          }
          problem(entry.value().location(), where + ": must be true");
          return null;
        }
        case "email" -> {
          Set<String> emails = new LinkedHashSet<>();
          for (Scalar item : stringOrList(entry.value(), where)) {
            String email = expand(item, where).trim().toLowerCase(Locale.ROOT);
            if (!EMAIL.matcher(email).matches()) {
              problem(item.location(), where + ": '" + item.text() + "' is not an email address");
            } else {
              emails.add(email);
            }
          }
          return emails.isEmpty() ? null : new Selector.Email(emails);
        }
        case "email_domain" -> {
          Set<String> domains = new LinkedHashSet<>();
          for (Scalar item : stringOrList(entry.value(), where)) {
            String domain = expand(item, where).trim().toLowerCase(Locale.ROOT);
            if (!HOST.matcher(domain).matches()) {
              problem(item.location(), where + ": '" + item.text() + "' is not a domain "
                  + "(write it without '@', such as example.com)");
            } else {
              domains.add(domain);
            }
          }
          return domains.isEmpty() ? null : new Selector.EmailDomain(domains);
        }
        default -> {
          problem(entry.keyLocation(), where + ": unknown selector '" + entry.key()
              + "'; expected one of: everyone, email, email_domain");
          return null;
        }
      }
    }

    // ---- typed access to nodes; each reports its own problem and returns null on failure

    void onlyKeys(Mapping mapping, String where, String... allowed) {
      Set<String> known = Set.of(allowed);
      for (Entry entry : mapping.entries().values()) {
        if (!known.contains(entry.key())) {
          String path = where.isEmpty() ? entry.key() : where + "." + entry.key();
          String suggestion = closest(entry.key(), allowed);
          problem(entry.keyLocation(), "unknown key '" + path + "'"
              + (suggestion == null ? "" : " (did you mean '" + suggestion + "'?)")
              + "; expected one of: " + String.join(", ", allowed));
        }
      }
    }

    /** The allowed key within two edits of a misspelt one, if any. */
    static String closest(String key, String... allowed) {
      String best = null;
      int bestDistance = 3;
      for (String candidate : allowed) {
        int distance = editDistance(key, candidate);
        if (distance < bestDistance) {
          best = candidate;
          bestDistance = distance;
        }
      }
      return best;
    }

    private static int editDistance(String a, String b) {
      int[] previous = new int[b.length() + 1];
      int[] current = new int[b.length() + 1];
      for (int j = 0; j <= b.length(); j++) {
        previous[j] = j;
      }
      for (int i = 1; i <= a.length(); i++) {
        current[0] = i;
        for (int j = 1; j <= b.length(); j++) {
          int substitute = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
          current[j] = Math.min(substitute, Math.min(previous[j] + 1, current[j - 1] + 1));
        }
        int[] swap = previous;
        previous = current;
        current = swap;
      }
      return previous[b.length()];
    }

    Mapping mapping(YamlNode node, String where) {
      if (node instanceof Mapping m) {
        return m;
      }
      problem(node.location(), where + ": expected a mapping of keys, found " + node.kind());
      return null;
    }

    Sequence sequence(YamlNode node, String where) {
      if (node instanceof Sequence s) {
        return s;
      }
      problem(node.location(), where + ": expected a list, found " + node.kind());
      return null;
    }

    /** The scalar at {@code key}, or null when absent; a non-scalar is a problem. */
    Scalar scalar(Mapping mapping, String key, String where) {
      Entry entry = mapping.entries().get(key);
      if (entry == null) {
        return null;
      }
      if (entry.value() instanceof Scalar s && s.type() != YamlNode.ScalarType.NULL) {
        return s;
      }
      problem(entry.value().location(), where + ": expected a single value, found "
          + entry.value().kind());
      return null;
    }

    String requiredString(Mapping mapping, String key, String where) {
      Scalar node = scalar(mapping, key, where);
      if (node == null) {
        if (!mapping.entries().containsKey(key)) {
          problem(mapping.location(), "missing key '" + where + "'");
        }
        return null;
      }
      String text = expand(node, where);
      if (text.isBlank()) {
        problem(node.location(), where + ": must not be empty");
        return null;
      }
      return text;
    }

    String optionalString(Mapping mapping, String key, String where) {
      Scalar node = scalar(mapping, key, where);
      return node == null ? null : expand(node, where);
    }

    List<Scalar> stringList(Mapping mapping, String key, String where) {
      Entry entry = mapping.entries().get(key);
      if (entry == null) {
        return List.of();
      }
      Sequence list = sequence(entry.value(), where);
      return list == null ? List.of() : scalars(list, where);
    }

    List<Scalar> stringOrList(YamlNode node, String where) {
      if (node instanceof Scalar s && s.type() != YamlNode.ScalarType.NULL) {
        return List.of(s);
      }
      if (node instanceof Sequence list) {
        if (list.items().isEmpty()) {
          problem(list.location(), where + ": the list is empty");
        }
        return scalars(list, where);
      }
      problem(node.location(), where + ": expected a value or a list of values, found "
          + node.kind());
      return List.of();
    }

    List<Scalar> scalars(Sequence list, String where) {
      List<Scalar> out = new ArrayList<>();
      for (YamlNode item : list.items()) {
        if (item instanceof Scalar s && s.type() != YamlNode.ScalarType.NULL) {
          out.add(s);
        } else {
          problem(item.location(), where + ": expected a single value, found " + item.kind());
        }
      }
      return out;
    }

    Duration duration(Mapping mapping, String key, String where, Duration fallback) {
      Scalar node = scalar(mapping, key, where);
      if (node == null) {
        return fallback;
      }
      String text = expand(node, where);
      Duration parsed = Durations.parse(text);
      if (parsed == null) {
        problem(node.location(), where + ": '" + text + "' is not a duration; write a number "
            + "and a unit, such as 30m, 24h or 7d");
        return fallback;
      }
      return parsed;
    }

    <E extends Enum<E>> E choice(Mapping mapping, String key, String where, Class<E> type,
        E fallback) {
      Scalar node = scalar(mapping, key, where);
      if (node == null) {
        return fallback;
      }
      String text = expand(node, where);
      for (E value : type.getEnumConstants()) {
        if (value.name().toLowerCase(Locale.ROOT).equals(text)) {
          return value;
        }
      }
      List<String> names = java.util.Arrays.stream(type.getEnumConstants())
          .map(v -> v.name().toLowerCase(Locale.ROOT)).toList();
      problem(node.location(), where + ": '" + text + "' is not one of: "
          + String.join(", ", names));
      return fallback;
    }

    URI httpUrl(Scalar node, String text, String where, boolean originOnly) {
      try {
        URI uri = new URI(text);
        boolean http = "http".equals(uri.getScheme()) || "https".equals(uri.getScheme());
        if (!http || uri.getHost() == null || uri.getUserInfo() != null
            || uri.getQuery() != null || uri.getFragment() != null) {
          problem(node.location(), where + ": '" + text + "' is not an http:// or https:// URL "
              + "with a host");
          return null;
        }
        String path = uri.getPath() == null ? "" : uri.getPath();
        if (originOnly && !path.isEmpty() && !path.equals("/")) {
          problem(node.location(), where + ": '" + text + "' must not have a path");
          return null;
        }
        if (text.endsWith("/")) {
          uri = new URI(text.substring(0, text.length() - 1));
        }
        return uri;
      } catch (URISyntaxException e) {
        problem(node.location(), where + ": '" + text + "' is not a URL");
        return null;
      }
    }

    static Integer port(String text) {
      try {
        int port = Integer.parseInt(text);
        return port >= 1 && port <= 65535 ? port : null;
      } catch (NumberFormatException e) {
        return null;
      }
    }

    String expand(Scalar node, String where) {
      String text = node.text();
      if (text == null || text.indexOf('$') < 0) {
        return text;
      }
      Matcher matcher = ENV.matcher(text);
      StringBuilder out = new StringBuilder();
      while (matcher.find()) {
        String value = environment.apply(matcher.group(1));
        if (value == null) {
          problem(node.location(), where + ": environment variable '" + matcher.group(1)
              + "' is not set");
          value = "";
        }
        matcher.appendReplacement(out, Matcher.quoteReplacement(value));
      }
      matcher.appendTail(out);
      return out.toString();
    }

    void problem(YamlNode.Location at, String message) {
      problems.add(new Problem(file.toString(), at.line(), at.column(), message));
    }
  }
}
