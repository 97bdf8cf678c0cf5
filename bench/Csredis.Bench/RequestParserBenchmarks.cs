// Measures Csredis.Common.Resp.RequestParser on the shapes redis-benchmark sends: a pipeline of
// multibulk SET/GET commands and inline PINGs, parsed out of one query buffer as the server does.
// Multibulk parsing must allocate nothing (the parser hands out offsets into the buffer).
using System.Text;
using BenchmarkDotNet.Attributes;
using Csredis.Common.Resp;

namespace Csredis.Bench;

[MemoryDiagnoser]
public class RequestParserBenchmarks
{
    private const int CommandsPerBuffer = 16;
    private const long MaxBulkLength = 512L * 1024 * 1024;

    private readonly RequestParser _parser = new();
    private byte[] _setPipeline = [];
    private byte[] _getPipeline = [];
    private byte[] _inlinePipeline = [];
    private byte[] _largeValue = [];

    [GlobalSetup]
    public void Setup()
    {
        _setPipeline = Repeat("*3\r\n$3\r\nSET\r\n$16\r\nkey:000000012345\r\n$3\r\nxxx\r\n");
        _getPipeline = Repeat("*2\r\n$3\r\nGET\r\n$16\r\nkey:000000012345\r\n");
        _inlinePipeline = Repeat("PING\r\n");
        var value = new string('v', 16 * 1024);
        _largeValue = Encoding.ASCII.GetBytes($"*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n${value.Length}\r\n{value}\r\n");
    }

    private static byte[] Repeat(string command) =>
        Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(command, CommandsPerBuffer)));

    /// <summary>Parses every command in the buffer; returns the argument count seen (keeps the work observable).</summary>
    private int ParseAll(byte[] buffer)
    {
        _parser.Reset(0);
        var arguments = 0;
        while (_parser.Parse(buffer, buffer.Length, authenticated: true, MaxBulkLength) == ParseStatus.Complete)
        {
            arguments += _parser.ArgCount;
            if (_parser.Position >= buffer.Length)
                break;
        }
        return arguments;
    }

    [Benchmark(OperationsPerInvoke = CommandsPerBuffer, Baseline = true)]
    public int MultibulkSet() => ParseAll(_setPipeline);

    [Benchmark(OperationsPerInvoke = CommandsPerBuffer)]
    public int MultibulkGet() => ParseAll(_getPipeline);

    [Benchmark(OperationsPerInvoke = CommandsPerBuffer)]
    public int InlinePing() => ParseAll(_inlinePipeline);

    [Benchmark]
    public int MultibulkSet16KiBValue() => ParseAll(_largeValue);
}
