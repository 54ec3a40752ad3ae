package dev.portcullis.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A YAML document as a tree whose every node remembers where it stood in the file, so that
 * validation can name the line and column of each problem. Scalars keep their text; the
 * typed reading happens in {@link ConfigReader}.
 */
sealed interface YamlNode {

  Location location();

  /** What a person would call this kind of node in an error message. */
  String kind();

  record Location(int line, int column) {}

  record Mapping(Location location, Map<String, Entry> entries) implements YamlNode {
    public Mapping {
      entries = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(entries));
    }

    @Override
    public String kind() {
      return "a mapping";
    }
  }

  /** One key of a mapping with the location of the key itself. */
  record Entry(String key, Location keyLocation, YamlNode value) {}

  record Sequence(Location location, List<YamlNode> items) implements YamlNode {
    public Sequence {
      items = List.copyOf(items);
    }

    @Override
    public String kind() {
      return "a list";
    }
  }

  /** A scalar; {@code text} is null for YAML's null. */
  record Scalar(Location location, String text, ScalarType type) implements YamlNode {
    @Override
    public String kind() {
      return switch (type) {
        case NULL -> "nothing (null)";
        case BOOLEAN -> "a boolean";
        case NUMBER -> "a number";
        case STRING -> "a string";
      };
    }
  }

  enum ScalarType { STRING, NUMBER, BOOLEAN, NULL }
}
