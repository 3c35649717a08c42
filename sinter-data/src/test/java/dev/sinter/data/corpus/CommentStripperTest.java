package dev.sinter.data.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class CommentStripperTest {
  private static String strip(CommentStripper mode, String s) {
    return new String(mode.strip(s.getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
  }

  @Test
  void headerModeRemovesOnlyALeadingLicenceComment() {
    String body = "package a;\n\n/** Doc. */\nclass A {}\n";
    assertEquals(body, strip(CommentStripper.HEADER, "/*\n * Copyright (c) 2020, Oracle.\n */\n\n" + body));
    assertEquals(body, strip(CommentStripper.HEADER, "  /* Licensed under the Apache License */\n" + body));
    String notLicence = "/* just a note */\n" + body;
    assertEquals(notLicence, strip(CommentStripper.HEADER, notLicence));
    assertEquals(body, strip(CommentStripper.HEADER, body));
  }

  @Test
  void allModeRemovesCommentLinesAndKeepsCode() {
    String in = """
        /*
         * Copyright header
         */
        package a;

        /**
         * Javadoc.
         */
        class A { // trailing
            // whole line
            int x = 1; /* inline */ int y = 2;
            int z = f(/* arg */ 3);
        }
        """;
    String out = """
        package a;

        class A {
            int x = 1;  int y = 2;
            int z = f( 3);
        }
        """;
    assertEquals(out, strip(CommentStripper.ALL, in));
  }

  @Test
  void literalsThatLookLikeCommentsStay() {
    String in = """
        String url = "http://example.org/*not*/"; // real
        char c = '/'; char d = '\\''; String e = "\\"//";
        String t = \"""
            // text block, not a comment
            \""";
        """;
    String out = """
        String url = "http://example.org/*not*/";
        char c = '/'; char d = '\\''; String e = "\\"//";
        String t = \"""
            // text block, not a comment
            \""";
        """;
    assertEquals(out, strip(CommentStripper.ALL, in));
  }

  @Test
  void unterminatedCommentsAndMultiByteTextAreSafe() {
    assertEquals("int a;\n", strip(CommentStripper.ALL, "int a; /* never closed\n more"));
    assertEquals("String s = \"héllo ✓\";\n", strip(CommentStripper.ALL, "String s = \"héllo ✓\"; // ✓\n"));
    byte[] plain = "int a;\n".getBytes(StandardCharsets.UTF_8);
    assertSame(plain, CommentStripper.ALL.strip(plain));
    assertEquals("", strip(CommentStripper.ALL, "// only a comment\n"));
  }

  @Test
  void appliesOnlyToKnownSourceFiles() {
    assertTrue(CommentStripper.ALL.appliesTo("src.zip!/java.base/java/lang/String.java"));
    assertTrue(CommentStripper.HEADER.appliesTo("x.C"));
    assertFalse(CommentStripper.ALL.appliesTo("notes.md"));
    assertFalse(CommentStripper.ALL.appliesTo("data.jsonl:3"));
    assertFalse(CommentStripper.NONE.appliesTo("A.java"));
    assertEquals(CommentStripper.HEADER, CommentStripper.parse(" Header "));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CommentStripper.parse("some"));
    assertTrue(e.getMessage().contains("none, header or all"), e.getMessage());
  }
}
