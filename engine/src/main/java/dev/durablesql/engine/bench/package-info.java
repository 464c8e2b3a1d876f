/**
 * {@code durable bench}: the workloads of shared/bench run through the real SQL surface, printing
 * one {@code RESULT durable-sql <workload> key=value ...} line per figure.
 */
package dev.durablesql.engine.bench;
