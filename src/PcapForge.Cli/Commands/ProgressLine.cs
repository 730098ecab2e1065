using System.Diagnostics;
using System.Globalization;

namespace PcapForge.Cli.Commands;

/// <summary>
/// One self-overwriting line on stderr while a long run goes on: bytes and frames done, rate, ETA. At most four
/// updates a second; cleared before any other message. Only used when stderr is a terminal.
/// </summary>
internal sealed class ProgressLine(TextWriter error, long totalBytes)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _doneBefore;
    private long _lastDraw = -1000;
    private int _width;
    private string _file = "";

    public void StartFile(string path) => _file = Path.GetFileName(path);

    public void EndFile(long size) => _doneBefore += size;

    public void Update(long bytesInFile, long frames)
    {
        long now = _clock.ElapsedMilliseconds;
        if (now - _lastDraw < 250)
            return;
        _lastDraw = now;
        long done = _doneBefore + bytesInFile;
        double seconds = Math.Max(_clock.Elapsed.TotalSeconds, 1e-3);
        double rate = done / seconds;
        string eta = rate > 0 && totalBytes > done ? TimeSpan.FromSeconds((totalBytes - done) / rate).ToString(@"m\:ss", CultureInfo.InvariantCulture) : "0:00";
        double percent = totalBytes > 0 ? 100.0 * done / totalBytes : 0;
        string text = string.Create(CultureInfo.InvariantCulture,
            $"{_file}: {percent,5:0.0}%  {done / 1e6:0} / {totalBytes / 1e6:0} MB  {frames:N0} frames  {rate / 1e6:0} MB/s  ETA {eta}");
        error.Write("\r" + text.PadRight(_width));
        _width = text.Length;
        error.Flush();
    }

    public void Clear()
    {
        if (_width > 0)
        {
            error.Write("\r" + new string(' ', _width) + "\r");
            error.Flush();
            _width = 0;
        }
    }
}
