import type { LoggerService } from "@nestjs/common";

export type LogLevel = "log" | "error" | "warn" | "debug" | "verbose" | "fatal";

/** A Nest logger that keeps what the app logs, so tests can assert on it, and prints nothing. */
export class RecordingLogger implements LoggerService {
  readonly entries: { level: LogLevel; message: string }[] = [];

  log(message: unknown): void {
    this.record("log", message);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.record("error", [message, ...rest].map(String).join(" "));
  }
  warn(message: unknown): void {
    this.record("warn", message);
  }
  debug(message: unknown): void {
    this.record("debug", message);
  }
  verbose(message: unknown): void {
    this.record("verbose", message);
  }
  fatal(message: unknown): void {
    this.record("fatal", message);
  }

  /** The messages logged at `level`. */
  messages(level: LogLevel): string[] {
    return this.entries.filter((entry) => entry.level === level).map((entry) => entry.message);
  }

  private record(level: LogLevel, message: unknown): void {
    this.entries.push({ level, message: message instanceof Error ? (message.stack ?? message.message) : String(message) });
  }
}
