package dev.portcullis.config;

import dev.portcullis.config.PortcullisConfig.Auth;
import dev.portcullis.config.PortcullisConfig.Delivery;
import dev.portcullis.config.PortcullisConfig.IdentityProvider;
import dev.portcullis.config.PortcullisConfig.OAuth;
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
import dev.portcullis.policy.CidrSet;
import dev.portcullis.policy.Group;
import dev.portcullis.machine.CorsRules;
import dev.portcullis.policy.Policy;
import dev.portcullis.policy.Relay;
import dev.portcullis.policy.RequestPath;
import dev.portcullis.policy.Rules;
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
  private static final Pattern GITHUB_NAME =
      Pattern.compile("[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})");
  private static final Pattern GITHUB_TEAM = Pattern.compile(
      "[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9_.-]{1,100}");
  private static final String ACTIONS = "allow, block, bypass or service_auth";
  private static final Pattern SIZE = Pattern.compile("([0-9]{1,9})(KiB|MiB)?");
  /** RFC 9110 section 5.6.2: the characters of a method or header name. */
  private static final Pattern HTTP_TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
  private static final List<String> IDP_TYPES = List.of("onetimepin", "github", "oidc");
  /** Every selector, in the order the README lists them. */
  static final List<String> SELECTORS = List.of("everyone", "email", "email_domain",
      "email_list", "ip", "group", "idp", "github_org", "github_team", "oidc_claim",
      "oidc_group", "service_token", "any_service_token", "certificate", "common_name");

  private final Function<String, String> environment;

  /** A loader that expands variables from the process environment. */
  public ConfigLoader() {
    this(System::getenv);
  }

  public ConfigLoader(Function<String, String> environment) {
    this.environment = environment;
  }

  /** The allowed key within two edits of a misspelt one, or null: for other YAML readers. */
  public static String suggestion(String key, String... allowed) {
    return Reading.closest(key, allowed);
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
    /** Email list files read while loading; watched for changes like the file itself. */
    final Set<Path> emailLists = new LinkedHashSet<>();

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
          "trusted_proxies", "groups", "applications");

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
      // A broken smtp section is reported on its own; only a missing one matters here.
      List<IdentityProvider> idps = identityProviders(root, root.entries().containsKey("smtp"));
      List<Cidr> trustedProxies = trustedProxies(root);
      Map<String, Group> groups = groups(root, idps);
      List<Application> apps = applications(root, idps, auth, groups);
      if (auth == null) {
        return null;
      }
      return new PortcullisConfig(file, listenHost, listenPort, dataDir, auth, storeUrl, smtp,
          idps, trustedProxies, apps, List.copyOf(emailLists));
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
        if (type != null && !IDP_TYPES.contains(type)) {
          problem(idp.entries().get("type").value().location(), where + ".type: '" + type
              + "' is not supported; expected one of: " + String.join(", ", IDP_TYPES));
          type = null;
        }
        if (type == null) {
          continue;
        }
        String name = optionalString(idp, "name", where + ".name");
        switch (type) {
          case "onetimepin" -> {
            onlyKeys(idp, where, "id", "type", "name", "delivery");
            Delivery delivery = choice(idp, "delivery", where + ".delivery", Delivery.class,
                Delivery.SMTP);
            if (delivery == Delivery.SMTP && !haveSmtp) {
              problem(idp.location(), where + ": a onetimepin provider needs the 'smtp' "
                  + "section to send codes (or delivery: console, for trying Portcullis out)");
            }
            if (id != null) {
              out.add(new IdentityProvider(id, type, name == null ? "Email" : name, delivery,
                  null));
            }
          }
          case "github" -> {
            onlyKeys(idp, where, "id", "type", "name", "client_id", "client_secret",
                "client_secret_file", "web_url", "api_url", "timeout", "recheck_interval");
            OAuth oauth = oauth(idp, where, type);
            if (id != null && oauth != null) {
              out.add(new IdentityProvider(id, type, name == null ? "GitHub" : name, null,
                  oauth));
            }
          }
          default -> {
            onlyKeys(idp, where, "id", "type", "name", "issuer", "client_id", "client_secret",
                "client_secret_file", "scopes", "userinfo", "email_claim", "name_claim",
                "groups_claim", "require_email_verified", "timeout");
            OAuth oauth = oauth(idp, where, type);
            if (id != null && oauth != null) {
              out.add(new IdentityProvider(id, type, name == null ? "Single sign-on" : name,
                  null, oauth));
            }
          }
        }
      }
      return out;
    }

    /** The settings shared by the GitHub and OpenID Connect providers; null after a problem. */
    OAuth oauth(Mapping idp, String where, String type) {
      int before = problems.size();
      String clientId = requiredString(idp, "client_id", where + ".client_id");
      String secret = clientSecret(idp, where);
      Duration timeout = duration(idp, "timeout", where + ".timeout", OAuth.DEFAULT_TIMEOUT);
      if (type.equals("github")) {
        URI web = optionalUrl(idp, "web_url", where, URI.create("https://github.com"));
        URI api = optionalUrl(idp, "api_url", where, URI.create("https://api.github.com"));
        if (idp.entries().containsKey("web_url") != idp.entries().containsKey("api_url")) {
          problem(idp.location(), where + ": give both 'web_url' and 'api_url' (GitHub "
              + "Enterprise Server) or neither (github.com)");
        }
        secureOrLoopback(idp, "web_url", web, where);
        secureOrLoopback(idp, "api_url", api, where);
        Duration recheck = duration(idp, "recheck_interval", where + ".recheck_interval", null);
        return problems.size() > before ? null : new OAuth(clientId, new Secret(secret), null,
            web, api, List.of("read:user", "user:email", "read:org"), false, "email", "name",
            null, true, timeout, recheck);
      }
      URI issuer = null;
      Scalar issuerNode = scalar(idp, "issuer", where + ".issuer");
      if (issuerNode == null) {
        if (!idp.entries().containsKey("issuer")) {
          problem(idp.location(), "missing key '" + where + ".issuer' (the provider's issuer "
              + "URL, such as https://accounts.google.com)");
        }
      } else {
        String text = expand(issuerNode, where + ".issuer");
        issuer = httpUrl(issuerNode, text, where + ".issuer", false);
        if (issuer != null) {
          // The issuer is compared with the ID token's iss claim exactly as configured.
          issuer = URI.create(text);
          secureOrLoopback(idp, "issuer", issuer, where);
        }
      }
      List<String> scopes = new ArrayList<>();
      for (Scalar scope : stringList(idp, "scopes", where + ".scopes")) {
        scopes.add(expand(scope, where + ".scopes"));
      }
      if (scopes.isEmpty()) {
        scopes = List.of("openid", "email", "profile");
      } else if (!scopes.contains("openid")) {
        problem(idp.entries().get("scopes").value().location(), where + ".scopes: must "
            + "include 'openid'");
      }
      boolean userinfo = bool(idp, "userinfo", where + ".userinfo", false);
      String emailClaim = Optional.ofNullable(optionalString(idp, "email_claim",
          where + ".email_claim")).orElse("email");
      String nameClaim = Optional.ofNullable(optionalString(idp, "name_claim",
          where + ".name_claim")).orElse("name");
      String groupsClaim = Optional.ofNullable(optionalString(idp, "groups_claim",
          where + ".groups_claim")).orElse("groups");
      boolean verified = bool(idp, "require_email_verified", where + ".require_email_verified",
          true);
      return problems.size() > before ? null : new OAuth(clientId, new Secret(secret), issuer,
          null, null, scopes, userinfo, emailClaim, nameClaim, groupsClaim, verified, timeout,
          null);
    }

    /**
     * Provider URLs carry codes, tokens and keys: https is required, except for a provider on
     * this machine (localhost or a loopback address), as in tests and local development.
     */
    void secureOrLoopback(Mapping idp, String key, URI url, String where) {
      if (url == null || "https".equals(url.getScheme())) {
        return;
      }
      String host = url.getHost() == null ? "" : url.getHost();
      java.net.InetAddress literal = Cidr.literal(host.replaceAll("^\\[(.*)]$", "$1"));
      boolean loopback = host.equals("localhost") || host.endsWith(".localhost")
          || literal != null && literal.isLoopbackAddress();
      if (!loopback) {
        Entry entry = idp.entries().get(key);
        problem(entry == null ? idp.location() : entry.value().location(), where + "." + key
            + ": '" + url + "' must use https (plain http only for a provider on this machine)");
      }
    }

    /** The client secret, from {@code client_secret} or {@code client_secret_file}. */
    String clientSecret(Mapping idp, String where) {
      boolean inline = idp.entries().containsKey("client_secret");
      boolean fromFile = idp.entries().containsKey("client_secret_file");
      if (inline == fromFile) {
        problem(idp.location(), where + ": give exactly one of 'client_secret' (use "
            + "${ENV_VAR}) or 'client_secret_file'");
        return null;
      }
      if (inline) {
        return requiredString(idp, "client_secret", where + ".client_secret");
      }
      Scalar node = scalar(idp, "client_secret_file", where + ".client_secret_file");
      if (node == null) {
        return null;
      }
      Path secretFile = file.toAbsolutePath().getParent().resolve(expand(node,
          where + ".client_secret_file")).normalize();
      try {
        String secret = Files.readString(secretFile, StandardCharsets.UTF_8).strip();
        if (secret.isEmpty()) {
          problem(node.location(), where + ".client_secret_file: " + secretFile + " is empty");
          return null;
        }
        return secret;
      } catch (IOException e) {
        problem(node.location(), where + ".client_secret_file: cannot read " + secretFile);
        return null;
      }
    }

    URI optionalUrl(Mapping mapping, String key, String where, URI fallback) {
      Scalar node = scalar(mapping, key, where + "." + key);
      return node == null ? fallback
          : httpUrl(node, expand(node, where + "." + key), where + "." + key, false);
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

    List<Application> applications(Mapping root, List<IdentityProvider> idps, Auth auth,
        Map<String, Group> groups) {
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
      Map<String, String> routes = new HashMap<>();
      Set<String> names = new HashSet<>();
      for (int i = 0; i < list.items().size(); i++) {
        String where = "applications[" + i + "]";
        Mapping app = mapping(list.items().get(i), where);
        if (app == null) {
          continue;
        }
        onlyKeys(app, where, "name", "host", "path", "upstream", "upstream_timeout",
            "session_duration", "identity_providers", "allow_encoded_slashes", "auto_redirect",
            "cors", "relays", "policies");
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
        String host = applicationHost(app, where, auth);
        String path = "/";
        Scalar pathNode = scalar(app, "path", where + ".path");
        if (pathNode != null) {
          path = pathPrefix(pathNode, expand(pathNode, where + ".path"), where + ".path");
        }
        if (host != null && path != null) {
          String route = host + path;
          if (routes.containsKey(route)) {
            problem(app.entries().get("host").value().location(), where + ": host '" + host
                + "' with path '" + path + "' is already used by " + routes.get(route));
            host = null;
          } else {
            routes.put(route, label);
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
        boolean encodedSlashes = bool(app, "allow_encoded_slashes",
            where + ".allow_encoded_slashes", false);
        boolean autoRedirect = bool(app, "auto_redirect", where + ".auto_redirect", false);
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
        List<Policy> policies = policies(app, where, idps, groups);
        CorsRules cors = cors(app, where);
        List<Relay> relays = relays(app, where, path);
        if (name != null && host != null && path != null && upstream != null) {
          out.add(new Application(name, host, path, upstream, session, policies, allowedIdps,
              timeout, encodedSlashes, autoRedirect, cors, relays));
        }
      }
      return out;
    }

    /** The application's CORS rules, or null when it has none or after a problem. */
    CorsRules cors(Mapping app, String appWhere) {
      Entry entry = app.entries().get("cors");
      if (entry == null) {
        return null;
      }
      String where = appWhere + ".cors";
      Mapping cors = mapping(entry.value(), where);
      if (cors == null) {
        return null;
      }
      onlyKeys(cors, where, "allowed_origins", "allowed_methods", "allowed_headers",
          "allow_credentials", "max_age");
      int before = problems.size();
      List<String> origins = new ArrayList<>();
      for (Scalar item : stringList(cors, "allowed_origins", where + ".allowed_origins")) {
        String origin = expand(item, where + ".allowed_origins");
        String problem = CorsRules.originProblem(origin);
        if (problem != null) {
          problem(item.location(), where + ".allowed_origins: " + problem);
        } else {
          origins.add(origin);
        }
      }
      if (!cors.entries().containsKey("allowed_origins")) {
        problem(cors.location(), "missing key '" + where + ".allowed_origins' (such as "
            + "[https://app.example.com])");
      }
      List<String> methods = corsNames(cors, "allowed_methods", where, true);
      List<String> headers = corsNames(cors, "allowed_headers", where, false);
      boolean credentials = bool(cors, "allow_credentials", where + ".allow_credentials",
          false);
      Duration maxAge = duration(cors, "max_age", where + ".max_age", null);
      if (maxAge != null && maxAge.compareTo(CorsRules.MAX_MAX_AGE) > 0) {
        problem(cors.entries().get("max_age").value().location(), where + ".max_age: at most "
            + CorsRules.MAX_MAX_AGE.toHours() + "h (browsers cap it lower still)");
      }
      if (problems.size() > before) {
        return null;
      }
      try {
        return new CorsRules(origins, methods, headers, credentials, maxAge);
      } catch (IllegalArgumentException e) {
        problem(cors.location(), where + ": " + e.getMessage());
        return null;
      }
    }

    /** Method or header names of a cors entry, each checked where it is written; null if absent. */
    List<String> corsNames(Mapping cors, String key, String where, boolean methods) {
      if (!cors.entries().containsKey(key)) {
        return null;
      }
      List<String> out = new ArrayList<>();
      for (Scalar item : stringList(cors, key, where + "." + key)) {
        String name = expand(item, where + "." + key);
        if (!name.equals("*") && !HTTP_TOKEN.matcher(name).matches()) {
          problem(item.location(), where + "." + key + ": '" + name + "' is not "
              + (methods ? "a method" : "a header name"));
        } else if (methods && (name.equalsIgnoreCase("TRACE")
            || name.equalsIgnoreCase("CONNECT"))) {
          problem(item.location(), where + "." + key + ": '" + name + "' is never served by "
              + "Portcullis");
        } else {
          out.add(name);
        }
      }
      return out;
    }

    /** The application's relays; each path must be normalized and under the application. */
    List<Relay> relays(Mapping app, String appWhere, String appPath) {
      List<Relay> out = new ArrayList<>();
      Entry entry = app.entries().get("relays");
      if (entry == null) {
        return out;
      }
      Sequence list = sequence(entry.value(), appWhere + ".relays");
      if (list == null) {
        return out;
      }
      Set<String> paths = new HashSet<>();
      for (int i = 0; i < list.items().size(); i++) {
        String where = appWhere + ".relays[" + i + "]";
        Mapping relay = mapping(list.items().get(i), where);
        if (relay == null) {
          continue;
        }
        onlyKeys(relay, where, "path", "kind", "name", "projects", "max_body", "per_minute");
        int before = problems.size();
        String path = null;
        Scalar pathNode = scalar(relay, "path", where + ".path");
        if (pathNode == null) {
          requiredString(relay, "path", where + ".path");
        } else {
          path = pathPrefix(pathNode, expand(pathNode, where + ".path"), where + ".path");
          String relative = appPath == null || appPath.equals("/") || path == null ? path
              : path.substring(Math.min(path.length(), appPath.length()));
          if (relative != null && (relative + "/").startsWith("/.portcullis/")) {
            problem(pathNode.location(), where + ".path: '" + path + "' is under the reserved "
                + "/.portcullis/ prefix");
          } else if (path != null && appPath != null
              && !RequestPath.underPrefix(path, appPath)) {
            problem(pathNode.location(), where + ".path: '" + path + "' is not under the "
                + "application's path '" + appPath + "'");
          } else if (path != null && !paths.add(path)) {
            problem(pathNode.location(), where + ".path: '" + path + "' is used twice");
          }
        }
        String kind = requiredString(relay, "kind", where + ".kind");
        if (kind != null && !Relay.KINDS.contains(kind)) {
          problem(relay.entries().get("kind").value().location(), where + ".kind: '" + kind
              + "' is not a relay kind; expected one of: " + String.join(", ", Relay.KINDS));
        }
        String name = requiredString(relay, "name", where + ".name");
        if (name != null && !ID.matcher(name).matches()) {
          problem(relay.entries().get("name").value().location(), where + ".name: '" + name
              + "' must be lower-case letters, digits, '-' or '_'");
        }
        Set<String> projects = new LinkedHashSet<>();
        for (Scalar item : stringList(relay, "projects", where + ".projects")) {
          String project = expand(item, where + ".projects");
          if (!project.matches("[0-9]{1,20}")) {
            problem(item.location(), where + ".projects: '" + project + "' is not a Sentry "
                + "project id (digits)");
          } else {
            projects.add(project);
          }
        }
        if (projects.isEmpty() && problems.size() == before) {
          problem(relay.location(), where + ": 'projects' must list at least one project id");
        }
        int maxBytes = size(relay, "max_body", where + ".max_body",
            dev.portcullis.machine.SentryEnvelope.DEFAULT_MAX_BYTES);
        int perMinute = Relay.DEFAULT_PER_MINUTE;
        Scalar rate = scalar(relay, "per_minute", where + ".per_minute");
        if (rate != null) {
          Integer parsed = positiveInt(expand(rate, where + ".per_minute"));
          if (parsed == null) {
            problem(rate.location(), where + ".per_minute: '" + rate.text() + "' is not a "
                + "positive whole number");
          } else {
            perMinute = parsed;
          }
        }
        if (problems.size() == before) {
          out.add(new Relay(path, kind, name, projects, maxBytes, perMinute));
        }
      }
      return out;
    }

    /** A size such as 1MiB, 512KiB or 65536 (bytes); the fallback when absent. */
    int size(Mapping mapping, String key, String where, int fallback) {
      Scalar node = scalar(mapping, key, where);
      if (node == null) {
        return fallback;
      }
      String text = expand(node, where);
      Matcher m = SIZE.matcher(text);
      if (m.matches()) {
        long unit = switch (m.group(2) == null ? "" : m.group(2)) {
          case "KiB" -> 1024L;
          case "MiB" -> 1024L * 1024;
          default -> 1L;
        };
        long bytes = Long.parseLong(m.group(1)) * unit;
        if (bytes > 0 && bytes <= 64L * 1024 * 1024) {
          return (int) bytes;
        }
      }
      problem(node.location(), where + ": '" + text + "' is not a size between 1 byte and "
          + "64MiB; write it like 65536, 512KiB or 1MiB");
      return fallback;
    }

    static Integer positiveInt(String text) {
      try {
        int value = Integer.parseInt(text);
        return value > 0 ? value : null;
      } catch (NumberFormatException e) {
        return null;
      }
    }

    /** The application's host, lower case; {@code *.domain} allowed. Null after a problem. */
    String applicationHost(Mapping app, String where, Auth auth) {
      String host = requiredString(app, "host", where + ".host");
      if (host == null) {
        return null;
      }
      YamlNode.Location at = app.entries().get("host").value().location();
      String normalized = Applications.normalizeHost(host);
      boolean wildcard = normalized.startsWith("*.");
      String checked = wildcard ? normalized.substring(2) : normalized;
      if (host.contains(":") || host.contains("/") || !HOST.matcher(checked).matches()
          || wildcard && !checked.contains(".") && !checked.equals("localhost")) {
        problem(at, where + ".host: '" + host + "' is not a host name (write it without "
            + "scheme, port or path, such as grafana.example.com, or *.example.com for any one "
            + "label in front of example.com)");
        return null;
      }
      if (auth != null && normalized.equals(auth.host())) {
        problem(at, where + ".host: '" + host + "' is the auth domain's host");
        return null;
      }
      return normalized;
    }

    /** A path prefix, normalized; null after a problem. */
    String pathPrefix(Scalar node, String text, String where) {
      RequestPath.Result result = RequestPath.normalize(text, false);
      if (result instanceof RequestPath.Normalized normalized) {
        String path = normalized.path();
        if (path.length() > 1 && path.endsWith("/")) {
          path = path.substring(0, path.length() - 1);
        }
        if (!path.equals(text) && !(path + "/").equals(text)) {
          problem(node.location(), where + ": '" + text + "' is not a normalized path; write '"
              + path + "'");
          return null;
        }
        return path;
      }
      problem(node.location(), where + ": '" + text + "' is not a path ("
          + ((RequestPath.Refused) result).reason() + ")");
      return null;
    }

    List<Policy> policies(Mapping app, String appWhere, List<IdentityProvider> idps,
        Map<String, Group> groups) {
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
            problem(policy.location(), "missing key '" + where + ".action' (" + ACTIONS + ")");
          }
        } else {
          String text = expand(actionNode, where + ".action");
          action = java.util.Arrays.stream(Action.values())
              .filter(a -> a.configName().equals(text)).findFirst().orElse(null);
          if (action == null) {
            problem(actionNode.location(), where + ".action: '" + text
                + "' is not an action; expected " + ACTIONS);
          }
        }
        Rules rules = rules(policy, where, idps, groups);
        if (name != null && action != null && rules != null) {
          out.add(new Policy(name, action, rules));
        }
      }
      return out;
    }

    /** The include/require/exclude of a policy or group; null after a problem. */
    Rules rules(Mapping owner, String where, List<IdentityProvider> idps,
        Map<String, Group> groups) {
      int before = problems.size();
      List<Selector> include = selectors(owner, "include", where, idps, groups);
      List<Selector> require = selectors(owner, "require", where, idps, groups);
      List<Selector> exclude = selectors(owner, "exclude", where, idps, groups);
      Entry inc = owner.entries().get("include");
      if (inc == null) {
        problem(owner.location(), "missing key '" + where + ".include' (whom the rules are "
            + "about, such as - everyone: true)");
        return null;
      }
      if (inc.value() instanceof Sequence s && s.items().isEmpty()) {
        problem(inc.value().location(), where + ".include: at least one rule is needed");
        return null;
      }
      if (problems.size() > before || include.isEmpty()) {
        return null;
      }
      return new Rules(include, require, exclude);
    }

    List<Selector> selectors(Mapping owner, String key, String ownerWhere,
        List<IdentityProvider> idps, Map<String, Group> groups) {
      List<Selector> out = new ArrayList<>();
      Entry entry = owner.entries().get(key);
      if (entry == null) {
        return out;
      }
      String where = ownerWhere + "." + key;
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
          problem(rule.location(), itemWhere + ": a rule has exactly one selector; write "
              + "several rules as several list items");
          continue;
        }
        Entry selector = rule.entries().values().iterator().next();
        Selector parsed = selector(selector, itemWhere + "." + selector.key(), idps, groups);
        if (parsed != null) {
          out.add(parsed);
        }
      }
      return out;
    }

    Selector selector(Entry entry, String where, List<IdentityProvider> idps,
        Map<String, Group> groups) {
      YamlNode value = entry.value();
      switch (entry.key()) {
        case "everyone" -> {
          return isTrue(value, where) ? new Selector.Everyone() : null;
        }
        case "any_service_token" -> {
          return isTrue(value, where) ? new Selector.AnyServiceToken() : null;
        }
        case "certificate" -> {
          return isTrue(value, where) ? new Selector.Certificate() : null;
        }
        case "email" -> {
          Set<String> emails = values(value, where, text -> {
            String email = text.trim().toLowerCase(Locale.ROOT);
            return EMAIL.matcher(email).matches() ? email : null;
          }, "is not an email address");
          return emails.isEmpty() ? null : new Selector.Email(emails);
        }
        case "email_domain" -> {
          Set<String> domains = values(value, where, text -> {
            String domain = text.trim().toLowerCase(Locale.ROOT);
            return HOST.matcher(domain).matches() ? domain : null;
          }, "is not a domain (write it without '@', such as example.com)");
          return domains.isEmpty() ? null : new Selector.EmailDomain(domains);
        }
        case "email_list" -> {
          return emailList(value, where);
        }
        case "ip" -> {
          List<Cidr> networks = new ArrayList<>();
          for (Scalar item : stringOrList(value, where)) {
            try {
              networks.add(Cidr.parse(expand(item, where)));
            } catch (IllegalArgumentException e) {
              problem(item.location(), where + ": " + e.getMessage());
            }
          }
          return networks.isEmpty() ? null : new Selector.Ip(new CidrSet(networks));
        }
        case "group" -> {
          if (!(value instanceof Scalar s) || s.type() == YamlNode.ScalarType.NULL) {
            problem(value.location(), where + ": expected a group name, found " + value.kind());
            return null;
          }
          String name = expand(s, where);
          Group group = groups.get(name);
          if (group == null) {
            problem(value.location(), where + ": no group is named '" + name + "'"
                + (groups.isEmpty() ? "" : "; groups: " + String.join(", ",
                    new java.util.TreeSet<>(groups.keySet()))));
            return null;
          }
          return new Selector.GroupRef(group);
        }
        case "idp" -> {
          Set<String> ids = values(value, where,
              text -> idps.stream().anyMatch(p -> p.id().equals(text)) ? text : null,
              "is not an identity provider id");
          return ids.isEmpty() ? null : new Selector.Idp(ids);
        }
        case "github_org" -> {
          Set<String> orgs = values(value, where, text -> GITHUB_NAME.matcher(text).matches()
              ? text.toLowerCase(Locale.ROOT) : null, "is not a GitHub organization login");
          return orgs.isEmpty() ? null : new Selector.GithubOrg(orgs);
        }
        case "github_team" -> {
          Set<String> teams = values(value, where, text -> GITHUB_TEAM.matcher(text).matches()
              ? text.toLowerCase(Locale.ROOT) : null, "is not a team written as org/team-slug");
          return teams.isEmpty() ? null : new Selector.GithubTeam(teams);
        }
        case "oidc_claim" -> {
          Mapping claim = mapping(value, where);
          if (claim == null) {
            return null;
          }
          onlyKeys(claim, where, "name", "value");
          String name = requiredString(claim, "name", where + ".name");
          String claimValue = requiredString(claim, "value", where + ".value");
          return name == null || claimValue == null ? null
              : new Selector.OidcClaim(name, claimValue);
        }
        case "oidc_group" -> {
          Set<String> names = values(value, where, text -> text, "");
          return names.isEmpty() ? null : new Selector.OidcGroup(names);
        }
        case "service_token" -> {
          Set<String> names = values(value, where, text -> ID.matcher(text).matches() ? text
              : null, "is not a service token name (lower-case letters, digits, '-', '_')");
          return names.isEmpty() ? null : new Selector.ServiceToken(names);
        }
        case "common_name" -> {
          Set<String> names = values(value, where, text -> text, "");
          return names.isEmpty() ? null : new Selector.CommonName(names);
        }
        default -> {
          String suggestion = closest(entry.key(), SELECTORS.toArray(String[]::new));
          problem(entry.keyLocation(), where + ": unknown selector '" + entry.key() + "'"
              + (suggestion == null ? "" : " (did you mean '" + suggestion + "'?)")
              + "; expected one of: " + String.join(", ", SELECTORS));
          return null;
        }
      }
    }

    boolean isTrue(YamlNode value, String where) {
      if (value instanceof Scalar s && s.type() == YamlNode.ScalarType.BOOLEAN
          && "true".equalsIgnoreCase(s.text())) {
        return true;
      }
      problem(value.location(), where + ": must be true");
      return false;
    }

    /** Parses a value or list of values; {@code check} returns null for a bad value. */
    Set<String> values(YamlNode value, String where, Function<String, String> check,
        String complaint) {
      Set<String> out = new LinkedHashSet<>();
      for (Scalar item : stringOrList(value, where)) {
        String text = expand(item, where);
        String accepted = text.isBlank() ? null : check.apply(text);
        if (accepted == null) {
          problem(item.location(), where + ": '" + text + "' "
              + (complaint.isEmpty() ? "must not be empty" : complaint));
        } else {
          out.add(accepted);
        }
      }
      return out;
    }

    /** Reads an email list file: one address a line, '#' comments and blank lines skipped. */
    Selector emailList(YamlNode value, String where) {
      if (!(value instanceof Scalar s) || s.type() == YamlNode.ScalarType.NULL) {
        problem(value.location(), where + ": expected a file path, found " + value.kind());
        return null;
      }
      Path listFile = file.toAbsolutePath().getParent().resolve(expand(s, where)).normalize();
      List<String> lines;
      try {
        lines = Files.readAllLines(listFile, StandardCharsets.UTF_8);
      } catch (NoSuchFileException e) {
        problem(value.location(), where + ": file not found: " + listFile);
        return null;
      } catch (IOException e) {
        problem(value.location(), where + ": cannot read " + listFile + ": " + e.getMessage());
        return null;
      }
      emailLists.add(listFile);
      Set<String> emails = new LinkedHashSet<>();
      for (int n = 0; n < lines.size(); n++) {
        String line = lines.get(n).strip();
        if (line.isEmpty() || line.startsWith("#")) {
          continue;
        }
        String email = line.toLowerCase(Locale.ROOT);
        if (!EMAIL.matcher(email).matches()) {
          problems.add(new Problem(listFile.toString(), n + 1, 1,
              "'" + line + "' is not an email address (listed by " + where + ")"));
        } else {
          emails.add(email);
        }
      }
      return new Selector.EmailList(listFile, emails);
    }

    /**
     * Compiles the named groups. Groups may use other groups; they are compiled in dependency
     * order and a cycle is a problem that names it.
     */
    Map<String, Group> groups(Mapping root, List<IdentityProvider> idps) {
      Map<String, Group> compiled = new HashMap<>();
      Entry entry = root.entries().get("groups");
      if (entry == null) {
        return compiled;
      }
      Mapping all = mapping(entry.value(), "groups");
      if (all == null) {
        return compiled;
      }
      Set<String> failed = new HashSet<>();
      for (Entry group : all.entries().values()) {
        compileGroup(group.key(), all, idps, compiled, failed, new ArrayList<>());
      }
      return compiled;
    }

    private void compileGroup(String name, Mapping all, List<IdentityProvider> idps,
        Map<String, Group> compiled, Set<String> failed, List<String> visiting) {
      if (compiled.containsKey(name) || failed.contains(name)) {
        return;
      }
      Entry entry = all.entries().get(name);
      String where = "groups." + name;
      if (!ID.matcher(name).matches()) {
        problem(entry.keyLocation(), where + ": a group name must be lower-case letters, "
            + "digits, '-' or '_'");
        failed.add(name);
        return;
      }
      Mapping group = mapping(entry.value(), where);
      if (group == null) {
        failed.add(name);
        return;
      }
      visiting.add(name);
      for (String used : referencedGroups(group)) {
        if (visiting.contains(used)) {
          List<String> cycle = new ArrayList<>(visiting.subList(visiting.indexOf(used),
              visiting.size()));
          cycle.add(used);
          problem(entry.keyLocation(), "groups: cycle " + String.join(" -> ", cycle));
          failed.addAll(cycle);
          visiting.remove(name);
          return;
        }
        if (all.entries().containsKey(used)) {
          compileGroup(used, all, idps, compiled, failed, visiting);
        }
      }
      visiting.remove(name);
      if (failed.contains(name)) {
        return;
      }
      onlyKeys(group, where, "include", "require", "exclude");
      Rules rules = rules(group, where, idps, compiled);
      if (rules == null) {
        failed.add(name);
      } else {
        compiled.put(name, new Group(name, rules));
      }
    }

    /** The names used by {@code group:} selectors directly inside a group's rules. */
    private static List<String> referencedGroups(Mapping group) {
      List<String> out = new ArrayList<>();
      for (String key : List.of("include", "require", "exclude")) {
        Entry rules = group.entries().get(key);
        if (rules != null && rules.value() instanceof Sequence list) {
          for (YamlNode item : list.items()) {
            if (item instanceof Mapping rule && rule.entries().get("group") != null
                && rule.entries().get("group").value() instanceof Scalar s && s.text() != null) {
              out.add(s.text());
            }
          }
        }
      }
      return out;
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

    boolean bool(Mapping mapping, String key, String where, boolean fallback) {
      Scalar node = scalar(mapping, key, where);
      if (node == null) {
        return fallback;
      }
      // YAML 1.1 reads yes/no/on/off as booleans too; only true and false are accepted, so
      // that a setting such as require_email_verified is never turned off by a spelling.
      String text = node.text() == null ? "" : node.text().toLowerCase(Locale.ROOT);
      if (node.type() != YamlNode.ScalarType.BOOLEAN
          || !text.equals("true") && !text.equals("false")) {
        problem(node.location(), where + ": expected true or false, found '" + node.text()
            + "'");
        return fallback;
      }
      return text.equals("true");
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
