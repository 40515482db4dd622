package clearip.proxy.streams.tls;

import java.net.Socket;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Owns the wording of certificate rejections: delegates every decision to the JDK's PKIX trust
 * manager and, when it refuses, rethrows with who was refused, for which host and why, so that the
 * handshake failure the transport logs is enough for an operator.
 */
final class ExplainingTrustManager extends X509ExtendedTrustManager {
  private final X509ExtendedTrustManager delegate;

  ExplainingTrustManager(X509ExtendedTrustManager delegate) {
    this.delegate = delegate;
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    try {
      delegate.checkClientTrusted(chain, authType);
    } catch (CertificateException e) {
      throw explain("client", chain, null, e);
    }
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    try {
      delegate.checkClientTrusted(chain, authType, socket);
    } catch (CertificateException e) {
      throw explain("client", chain, null, e);
    }
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    try {
      delegate.checkClientTrusted(chain, authType, engine);
    } catch (CertificateException e) {
      throw explain("client", chain, null, e);
    }
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    try {
      delegate.checkServerTrusted(chain, authType);
    } catch (CertificateException e) {
      throw explain("server", chain, null, e);
    }
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    try {
      delegate.checkServerTrusted(chain, authType, socket);
    } catch (CertificateException e) {
      String host =
          socket instanceof javax.net.ssl.SSLSocket ssl && ssl.getHandshakeSession() != null
              ? ssl.getHandshakeSession().getPeerHost()
              : null;
      throw explain("server", chain, host, e);
    }
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    try {
      delegate.checkServerTrusted(chain, authType, engine);
    } catch (CertificateException e) {
      throw explain("server", chain, engine == null ? null : engine.getPeerHost(), e);
    }
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return delegate.getAcceptedIssuers();
  }

  private static CertificateException explain(
      String role, X509Certificate[] chain, String peerHost, CertificateException e) {
    StringBuilder message = new StringBuilder(role).append(" certificate ");
    if (chain == null || chain.length == 0) {
      message.append("(none)");
    } else {
      message.append(describe(chain[0]));
    }
    if (peerHost != null) {
      message.append(" for peer host '").append(peerHost).append('\'');
    }
    message.append(" rejected: ").append(reason(chain, e));
    // Keep a CertPathValidatorException as the direct cause: the JDK picks the TLS alert from it.
    Throwable cause = e.getCause() instanceof CertPathValidatorException ? e.getCause() : e;
    return new CertificateException(message.toString(), cause);
  }

  private static String reason(X509Certificate[] chain, CertificateException e) {
    Instant now = Instant.now();
    if (chain != null) {
      for (X509Certificate certificate : chain) {
        String who =
            certificate == chain[0] ? "it" : certificate.getSubjectX500Principal().getName();
        if (now.isAfter(certificate.getNotAfter().toInstant())) {
          return who
              + " expired at "
              + certificate.getNotAfter().toInstant()
              + " ("
              + e.getMessage()
              + ")";
        }
        if (now.isBefore(certificate.getNotBefore().toInstant())) {
          return who
              + " is not valid before "
              + certificate.getNotBefore().toInstant()
              + " ("
              + e.getMessage()
              + ")";
        }
      }
    }
    if (e.getMessage() != null && e.getMessage().contains("PKIX path building failed")) {
      return "not issued by a trusted CA (" + e.getMessage() + ")";
    }
    return e.getMessage();
  }

  /** Subject, names and issuer: what an operator compares against the configuration. */
  static String describe(X509Certificate certificate) {
    return "[subject "
        + certificate.getSubjectX500Principal().getName()
        + "; names "
        + subjectAltNames(certificate)
        + "; issuer "
        + certificate.getIssuerX500Principal().getName()
        + "; valid "
        + certificate.getNotBefore().toInstant()
        + " to "
        + certificate.getNotAfter().toInstant()
        + "]";
  }

  static List<String> subjectAltNames(X509Certificate certificate) {
    List<String> names = new ArrayList<>();
    try {
      Collection<List<?>> entries = certificate.getSubjectAlternativeNames();
      if (entries != null) {
        for (List<?> entry : entries) {
          int type = (Integer) entry.get(0);
          // RFC 5280 GeneralName tags: 2 dNSName, 7 iPAddress; others do not matter for TLS.
          if (type == 2) {
            names.add("DNS:" + entry.get(1));
          } else if (type == 7) {
            names.add("IP:" + entry.get(1));
          }
        }
      }
    } catch (CertificateParsingException e) {
      names.add("(unreadable subjectAltName: " + e.getMessage() + ")");
    }
    return names;
  }
}
