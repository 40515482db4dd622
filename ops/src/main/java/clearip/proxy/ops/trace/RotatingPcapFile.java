package clearip.proxy.ops.trace;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A pcap file rotated by size and count: {@code trace.pcap} is always the newest; when it would
 * exceed the size it becomes {@code trace.1.pcap}, the previous {@code .1} becomes {@code .2},
 * and so on up to the count (the oldest is deleted). A new trace starts a new file the same way,
 * so earlier traces are kept. Owned by one thread.
 */
final class RotatingPcapFile implements Closeable {
  private final Path file;
  private final long maxBytes;
  private final int maxFiles;
  private OutputStream out;
  private long size;

  RotatingPcapFile(Path file, long maxBytes, int maxFiles) {
    this.file = file.toAbsolutePath();
    this.maxBytes = maxBytes;
    this.maxFiles = maxFiles;
  }

  /** Rotates a non-empty existing file away and starts a new one with its header. */
  void open() throws IOException {
    Path dir = file.getParent();
    if (dir != null) Files.createDirectories(dir);
    if (Files.exists(file) && Files.size(file) > 0) shift();
    start();
  }

  /** Appends one record, rotating first when it would push the file past the size. */
  void write(byte[] record) throws IOException {
    if (size + record.length > maxBytes && size > PcapRecords.FILE_HEADER_SIZE) {
      out.close();
      out = null;
      shift();
      start();
    }
    out.write(record);
    size += record.length;
  }

  /** Makes what was written visible to readers (tshark on the live file). */
  void flush() throws IOException {
    if (out != null) out.flush();
  }

  @Override
  public void close() throws IOException {
    if (out != null) {
      out.close();
      out = null;
    }
  }

  Path file() {
    return file;
  }

  /** {@code trace.pcap} → {@code trace.<n>.pcap}; a name without extension gets {@code .<n>}. */
  static Path rotated(Path file, int n) {
    String name = file.getFileName().toString();
    int dot = name.lastIndexOf('.');
    String r = dot > 0 ? name.substring(0, dot) + "." + n + name.substring(dot) : name + "." + n;
    return file.resolveSibling(r);
  }

  private void start() throws IOException {
    out = new BufferedOutputStream(new FileOutputStream(file.toFile(), false), 1 << 16);
    byte[] h = PcapRecords.fileHeader();
    out.write(h);
    size = h.length;
  }

  private void shift() throws IOException {
    if (maxFiles <= 1) {
      Files.deleteIfExists(file);
      return;
    }
    Files.deleteIfExists(rotated(file, maxFiles - 1));
    for (int i = maxFiles - 2; i >= 1; i--) {
      Path from = rotated(file, i);
      if (Files.exists(from)) {
        Files.move(from, rotated(file, i + 1), StandardCopyOption.REPLACE_EXISTING);
      }
    }
    Files.move(file, rotated(file, 1), StandardCopyOption.REPLACE_EXISTING);
  }
}
