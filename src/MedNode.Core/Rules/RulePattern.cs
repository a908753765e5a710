using System.Text;
using System.Text.RegularExpressions;

namespace MedNode.Core.Rules;

/// <summary>
/// A value pattern: DICOM wildcards (* any run, ? one character; PS3.4 §C.2.2.2.4), case-insensitive, or a .NET regular
/// expression when prefixed with "re:". Regular expressions run with a timeout so a bad one cannot stall ingest.
/// </summary>
public sealed class RulePattern
{
    private static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(100);
    private readonly Regex _regex;

    private RulePattern(string text, Regex regex)
    {
        Text = text;
        _regex = regex;
    }

    public string Text { get; }

    /// <summary>Compiles a pattern, or returns the reason it is invalid.</summary>
    public static RulePattern? TryCreate(string text, out string? error)
    {
        error = null;
        try
        {
            if (text.StartsWith("re:", StringComparison.Ordinal))
                return new RulePattern(text, new Regex(text[3..], RegexOptions.CultureInvariant | RegexOptions.IgnoreCase, MatchTimeout));
            var sb = new StringBuilder("^");
            foreach (var c in text)
                sb.Append(c switch { '*' => ".*", '?' => ".", _ => Regex.Escape(c.ToString()) });
            sb.Append('$');
            return new RulePattern(text, new Regex(sb.ToString(), RegexOptions.CultureInvariant | RegexOptions.IgnoreCase | RegexOptions.Singleline, MatchTimeout));
        }
        catch (ArgumentException ex)
        {
            error = $"'{text}' is not a valid pattern: {ex.Message}";
            return null;
        }
    }

    public static RulePattern Create(string text) => TryCreate(text, out var error) ?? throw new ArgumentException(error, nameof(text));

    public bool IsMatch(string value)
    {
        try
        {
            return _regex.IsMatch(value);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }
}
