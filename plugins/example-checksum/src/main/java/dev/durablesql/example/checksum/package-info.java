/**
 * The example activity plugin: {@link dev.durablesql.example.checksum.ChecksumActivity}, type
 * {@code checksum}. A template for your own plugin: it depends on the SPI only, registers itself in
 * {@code META-INF/services}, and keeps its secrets in engine settings.
 */
package dev.durablesql.example.checksum;
