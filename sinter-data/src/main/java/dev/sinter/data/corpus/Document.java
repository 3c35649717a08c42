// One document as the corpus readers hand it on: its origin, its bytes and its content hash.
package dev.sinter.data.corpus;

/**
 * A document that passed every filter and check: valid UTF-8, not binary, not a duplicate.
 *
 * @param name where it came from, for messages: a file path, {@code archive.zip!/entry} or
 *     {@code file.jsonl:line}
 * @param bytes the UTF-8 text; the array is owned by the document and must not be modified
 * @param hash the first 128 bits of the SHA-256 of {@code bytes}
 */
public record Document(String name, byte[] bytes, ContentHash hash) {}
