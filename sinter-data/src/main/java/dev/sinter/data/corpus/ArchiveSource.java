// Reads the file entries of a .zip or .jar archive, such as the JDK's lib/src.zip.
//
// Entries are read in the order of their names, not the archive's own order, so an archive and the
// directory it was made from yield documents in the same order. The declared entry size is not
// trusted: reading stops one byte past the size limit, so a lying or hostile archive cannot make
// us allocate more than the limit.
package dev.sinter.data.corpus;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.Iterator;
import java.util.List;
import java.util.function.Consumer;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

final class ArchiveSource implements Source {
  private final Path archive;

  ArchiveSource(Path archive) {
    this.archive = archive;
  }

  @Override
  public String describe() {
    return archive.toString();
  }

  @Override
  public Cursor open(CorpusFilter filter, Consumer<Skip> skips) throws IOException {
    ZipFile zip = new ZipFile(archive.toFile());
    List<ZipEntry> entries = new ArrayList<>();
    for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements(); ) {
      ZipEntry z = e.nextElement();
      if (!z.isDirectory()) {
        entries.add(z);
      }
    }
    entries.sort(Comparator.comparing(ZipEntry::getName));
    Iterator<ZipEntry> it = entries.iterator();
    String prefix = archive + "!/";
    return new Cursor() {
      @Override
      public Raw next() throws IOException {
        while (it.hasNext()) {
          ZipEntry z = it.next();
          String name = prefix + z.getName();
          if (!filter.acceptsName(z.getName())) {
            skips.accept(new Skip(name, 0, Skip.Reason.FILTERED_EXTENSION,
                "extension not in " + filter.extensions()));
            continue;
          }
          long declared = z.getSize();
          if (declared >= 0 && !filter.acceptsSize(declared)) {
            skips.accept(DirectorySource.sizeSkip(name, declared, filter));
            continue;
          }
          byte[] bytes;
          try (InputStream in = zip.getInputStream(z)) {
            bytes = DirectorySource.readAtMost(in, filter.maxBytes());
          } catch (IOException ex) {
            throw new IOException(name + ": " + ex.getMessage(), ex);
          }
          return new Raw(name, 0, bytes);
        }
        return null;
      }

      @Override
      public void close() throws IOException {
        zip.close();
      }
    };
  }
}
