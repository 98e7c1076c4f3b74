import { Outbox } from "./outbox";

const entry = (seq: number, bytes = 10) => ({ seq, message: Buffer.alloc(bytes, seq) });
const seqs = (outbox: Outbox) => outbox.takeAll().map((e) => e.seq);

describe("Outbox", () => {
  test("keeps messages in order and gives them all back once", () => {
    const outbox = new Outbox(1000);
    for (let seq = 1; seq <= 5; seq++) outbox.push(entry(seq));
    expect(outbox.size).toBe(5);
    expect(outbox.byteLength).toBe(50);
    expect(seqs(outbox)).toEqual([1, 2, 3, 4, 5]);
    expect(outbox.size).toBe(0);
    expect(outbox.byteLength).toBe(0);
    expect(seqs(outbox)).toEqual([]);
  });

  test("past the bound, drops the oldest and counts them", () => {
    const outbox = new Outbox(35);
    for (let seq = 1; seq <= 5; seq++) outbox.push(entry(seq));
    expect(outbox.dropped).toBe(2);
    expect(outbox.byteLength).toBe(30);
    expect(seqs(outbox)).toEqual([3, 4, 5]);
    // The count is since the start, not per outage.
    outbox.push(entry(6, 40));
    expect(outbox.dropped).toBe(3);
    expect(seqs(outbox)).toEqual([]);
  });

  test("a message put back goes where its number says, even behind newer ones", () => {
    const outbox = new Outbox(1000);
    outbox.push(entry(4));
    outbox.push(entry(6));
    outbox.putBack(entry(5));
    outbox.putBack(entry(2));
    outbox.putBack(entry(7));
    expect(seqs(outbox)).toEqual([2, 4, 5, 6, 7]);
  });

  test("stays correct across many drops (the array is compacted)", () => {
    const outbox = new Outbox(100 * 10);
    for (let seq = 1; seq <= 5000; seq++) outbox.push(entry(seq));
    expect(outbox.size).toBe(100);
    expect(outbox.dropped).toBe(4900);
    expect(seqs(outbox)).toEqual(Array.from({ length: 100 }, (_, i) => 4901 + i));
  });
});
