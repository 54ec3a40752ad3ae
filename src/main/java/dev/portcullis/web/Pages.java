package dev.portcullis.web;

import gg.jte.ContentType;
import gg.jte.TemplateEngine;
import gg.jte.output.StringOutput;
import java.util.Map;

/**
 * Renders the HTML pages. Templates are compiled at build time (jte's Maven plugin) with HTML
 * escaping on every expression, so no value a client sent can become markup.
 */
public final class Pages {
  private final TemplateEngine engine = TemplateEngine.createPrecompiled(ContentType.Html);

  /** Renders {@code name}.jte with the given parameters. */
  public String render(String name, Map<String, Object> params) {
    StringOutput out = new StringOutput();
    engine.render(name + ".jte", params, out);
    return out.toString();
  }

  /** A page with a title, a sentence, an optional link and the request id. */
  public String message(String title, String message, String linkUrl, String linkText,
      String requestId) {
    java.util.HashMap<String, Object> params = new java.util.HashMap<>();
    params.put("title", title);
    params.put("message", message);
    params.put("linkUrl", linkUrl);
    params.put("linkText", linkText);
    params.put("requestId", requestId);
    return render("message", params);
  }
}
