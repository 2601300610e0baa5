// The `tapedeck` program compiled (as the package's bin runs it), for bench:fetch to time in a process
// of its own. `merge OUTPUT FILE…` runs only the k-way merge (cli/fetch/merge-files.ts) over local
// pcap/pcapng files, to compare with mergecap alone; anything else is the program's own arguments.
// Imports are dynamic so that each mode loads only what it runs.
const [first, output, ...files] = process.argv.slice(2);
if (first === 'merge' && output) {
  const { mergeLocalFiles } = await import('../../cli/fetch/merge-files.js');
  const result = await mergeLocalFiles(
    files.map((path, i) => ({
      node: `node-${i}`,
      path,
      file: { key: path, format: 'pcap', bytes: 0, packets: 0, interfaces: ['eth0'], linkType: 1, sha256: '' },
    })),
    output,
    'bench:fetch merge',
  );
  process.stdout.write(`${JSON.stringify({ packets: result.packets })}\n`);
} else {
  const { runProgram } = await import('../../cli/program.js');
  process.exitCode = await runProgram(process.argv.slice(2));
}
