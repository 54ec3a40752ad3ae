package dev.portcullis.identity;

import dev.portcullis.config.PortcullisConfig.Smtp;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.mail.LoginOption;
import io.vertx.ext.mail.MailClient;
import io.vertx.ext.mail.MailConfig;
import io.vertx.ext.mail.MailMessage;
import io.vertx.ext.mail.StartTLSOptions;

/** Sends PINs through the configured SMTP server with Vert.x's mail client. */
public final class SmtpPinMailer implements PinMailer {
  private final MailClient client;
  private final String from;

  public SmtpPinMailer(Vertx vertx, Smtp smtp) {
    MailConfig config = new MailConfig()
        .setHostname(smtp.host())
        .setPort(smtp.port())
        .setStarttls(switch (smtp.starttls()) {
          case NONE -> StartTLSOptions.DISABLED;
          case OPPORTUNISTIC -> StartTLSOptions.OPTIONAL;
          case REQUIRED -> StartTLSOptions.REQUIRED;
        })
        .setKeepAlive(true);
    if (smtp.username() != null && !smtp.username().isEmpty()) {
      config.setUsername(smtp.username()).setPassword(smtp.password().reveal())
          .setLogin(LoginOption.REQUIRED);
    } else {
      config.setLogin(LoginOption.DISABLED);
    }
    // Not shared: a reload with new SMTP settings gets a client of its own.
    this.client = MailClient.create(vertx, config);
    this.from = smtp.from();
  }

  @Override
  public Future<Void> send(PinMessage message) {
    MailMessage mail = new MailMessage()
        .setFrom(from)
        .setTo(message.to())
        .setSubject(message.subject())
        .setText(message.body());
    return client.sendMail(mail).mapEmpty();
  }

  @Override
  public Future<Void> close() {
    return client.close();
  }
}
