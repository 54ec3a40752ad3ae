package dev.portcullis.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.portcullis.config.YamlNode.Entry;
import dev.portcullis.config.YamlNode.Location;
import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads YAML with Jackson's streaming parser into a {@link YamlNode} tree that keeps locations.
 * Jackson's tree model drops them, and every configuration error must name its line.
 * Duplicate keys are reported as problems rather than silently letting the last one win.
 */
final class YamlTreeReader {
  private static final YAMLFactory FACTORY = new YAMLFactory();

  private final List<Problem> problems;
  private final String file;

  YamlTreeReader(String file, List<Problem> problems) {
    this.file = file;
    this.problems = problems;
  }

  /** Returns the document's root, or null when the text is empty or not YAML at all. */
  YamlNode read(Reader text) {
    try (JsonParser parser = FACTORY.createParser(text)) {
      JsonToken first = parser.nextToken();
      if (first == null) {
        return null;
      }
      return readValue(parser);
    } catch (JsonProcessingException e) {
      JsonLocation at = e.getLocation();
      // SnakeYAML's message is "while parsing X", a quoted excerpt, then what it expected:
      // keep the sentences, drop the excerpt and its position lines.
      String message = String.join("; ", e.getOriginalMessage().lines()
          .map(String::strip)
          .filter(line -> !line.isEmpty() && !line.startsWith("in 'reader'")
              && !line.startsWith("^") && Character.isLetter(line.charAt(0)))
          .filter(line -> line.startsWith("while ") || line.startsWith("expected ")
              || line.startsWith("found ") || line.startsWith("mapping values")
              || line.startsWith("did not find") || line.startsWith("could not find"))
          .toList());
      if (message.isEmpty()) {
        message = "the text is not valid YAML";
      }
      problems.add(new Problem(file, at == null ? 1 : at.getLineNr(),
          at == null ? 1 : at.getColumnNr(), "invalid YAML: " + message));
      return null;
    } catch (IOException e) {
      problems.add(new Problem(file, 1, 1, "cannot read: " + e.getMessage()));
      return null;
    }
  }

  private YamlNode readValue(JsonParser parser) throws IOException {
    Location at = locationOf(parser.currentTokenLocation());
    JsonToken token = parser.currentToken();
    return switch (token) {
      case START_OBJECT -> readMapping(parser, at);
      case START_ARRAY -> readSequence(parser, at);
      case VALUE_STRING -> new YamlNode.Scalar(at, parser.getText(), YamlNode.ScalarType.STRING);
      case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT ->
          new YamlNode.Scalar(at, parser.getText(), YamlNode.ScalarType.NUMBER);
      case VALUE_TRUE, VALUE_FALSE ->
          new YamlNode.Scalar(at, parser.getText(), YamlNode.ScalarType.BOOLEAN);
      case VALUE_NULL -> new YamlNode.Scalar(at, null, YamlNode.ScalarType.NULL);
      default -> new YamlNode.Scalar(at, parser.getText(), YamlNode.ScalarType.STRING);
    };
  }

  private YamlNode readMapping(JsonParser parser, Location at) throws IOException {
    Map<String, Entry> entries = new LinkedHashMap<>();
    while (parser.nextToken() == JsonToken.FIELD_NAME) {
      String key = parser.currentName();
      Location keyAt = locationOf(parser.currentTokenLocation());
      parser.nextToken();
      YamlNode value = readValue(parser);
      if (entries.containsKey(key)) {
        problems.add(new Problem(file, keyAt.line(), keyAt.column(),
            "duplicate key '" + key + "' (first given at line "
                + entries.get(key).keyLocation().line() + ")"));
        continue;
      }
      entries.put(key, new Entry(key, keyAt, value));
    }
    return new YamlNode.Mapping(at, entries);
  }

  private YamlNode readSequence(JsonParser parser, Location at) throws IOException {
    List<YamlNode> items = new ArrayList<>();
    while (parser.nextToken() != JsonToken.END_ARRAY) {
      items.add(readValue(parser));
    }
    return new YamlNode.Sequence(at, items);
  }

  private static Location locationOf(JsonLocation location) {
    return new Location(Math.max(1, location.getLineNr()), Math.max(1, location.getColumnNr()));
  }
}
