package clearip.proxy.streams.tls;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Owns splitting a PEM file (RFC 7468) into its labelled blocks; text outside the blocks, such as
 * the "subject=" lines some tools write, is ignored.
 */
final class Pem {
  /** Larger than any sane certificate bundle; protects against pointing at the wrong file. */
  static final int MAX_FILE_BYTES = 4 * 1024 * 1024;

  private static final Pattern BEGIN = Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----");
  private static final Pattern END = Pattern.compile("-----END ([A-Z0-9 ]+)-----");

  private Pem() {}

  /** One decoded block; {@code number} counts blocks of any label from 1, {@code line} from 1. */
  record Block(String label, byte[] der, int number, int line, boolean encrypted) {
    String describe() {
      return "PEM block " + number + " (" + label + ", line " + line + ")";
    }
  }

  static List<Block> read(Path file) throws TlsMaterialException {
    String text = new String(readFile(file), StandardCharsets.ISO_8859_1);
    List<Block> blocks = new ArrayList<>();
    String[] lines = text.split("\r?\n|\r", -1);
    for (int i = 0; i < lines.length; i++) {
      Matcher begin = BEGIN.matcher(lines[i].strip());
      if (!begin.matches()) {
        continue;
      }
      String label = begin.group(1);
      int startLine = i + 1;
      StringBuilder base64 = new StringBuilder();
      boolean encrypted = false;
      boolean ended = false;
      for (i++; i < lines.length; i++) {
        String line = lines[i].strip();
        Matcher end = END.matcher(line);
        if (end.matches()) {
          if (!end.group(1).equals(label)) {
            throw new TlsMaterialException(
                file,
                "PEM block "
                    + label
                    + " starting at line "
                    + startLine
                    + " ends with END "
                    + end.group(1)
                    + " at line "
                    + (i + 1));
          }
          ended = true;
          break;
        }
        if (line.indexOf(':') >= 0) {
          // RFC 1421 headers, only used by legacy OpenSSL encryption ("Proc-Type: 4,ENCRYPTED").
          encrypted |= line.startsWith("Proc-Type:") && line.contains("ENCRYPTED");
          continue;
        }
        base64.append(line.replaceAll("\\s", ""));
      }
      if (!ended) {
        throw new TlsMaterialException(
            file, "PEM block " + label + " starting at line " + startLine + " has no END line");
      }
      byte[] der;
      try {
        der = Base64.getDecoder().decode(base64.toString());
      } catch (IllegalArgumentException e) {
        throw new TlsMaterialException(
            file,
            "PEM block "
                + (blocks.size() + 1)
                + " ("
                + label
                + ", line "
                + startLine
                + ") is not valid base64: "
                + e.getMessage());
      }
      blocks.add(new Block(label, der, blocks.size() + 1, startLine, encrypted));
    }
    if (blocks.isEmpty()) {
      throw new TlsMaterialException(file, noBlocksProblem(text));
    }
    return blocks;
  }

  static String labels(List<Block> blocks) {
    return String.join(", ", blocks.stream().map(Block::label).distinct().toList());
  }

  private static String noBlocksProblem(String text) {
    if (text.isBlank()) {
      return "file is empty";
    }
    if (text.charAt(0) == 0x30) {
      return "no PEM blocks found; the file looks like binary DER, convert it to PEM"
          + " (for example with openssl x509 -inform der)";
    }
    return "no PEM blocks found (expected lines like -----BEGIN CERTIFICATE----- or "
        + "-----BEGIN PRIVATE KEY-----)";
  }

  private static byte[] readFile(Path file) throws TlsMaterialException {
    try {
      if (Files.isDirectory(file)) {
        throw new TlsMaterialException(file, "is a directory, expected a PEM file");
      }
      if (Files.size(file) > MAX_FILE_BYTES) {
        throw new TlsMaterialException(
            file, "file is larger than " + MAX_FILE_BYTES + " bytes; not a PEM file?");
      }
      return Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new TlsMaterialException(file, "file not found", e);
    } catch (AccessDeniedException e) {
      throw new TlsMaterialException(file, "permission denied", e);
    } catch (IOException e) {
      throw new TlsMaterialException(file, "cannot read file: " + e, e);
    }
  }
}
