// The few parts of autocannon's result the benchmark reads (the package ships no types).
declare module 'autocannon' {
  interface Histogram {
    average: number;
    p50: number;
    p99: number;
    total: number;
  }
  interface Result {
    requests: Histogram;
    latency: Histogram;
    non2xx: number;
    errors: number;
    timeouts: number;
  }
  interface Options {
    url: string;
    connections?: number;
    pipelining?: number;
    duration?: number;
    /** Requests to send in all (instead of `duration`). */
    amount?: number;
    headers?: Record<string, string>;
    /** A sequence each connection goes through in turn (here: one caller's header each). */
    requests?: { headers?: Record<string, string> }[];
  }
  function autocannon(options: Options): Promise<Result>;
  export default autocannon;
}
