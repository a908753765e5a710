using Xunit.Abstractions;
using Xunit.Sdk;

namespace MedNode.TestSupport;

/// <summary>
/// A requirement of a whole test class, such as a peer server that a derived class of a shared test base needs (the
/// tests are declared once on the base, so a method attribute cannot name it). Honoured by
/// <see cref="RequiresFactAttribute"/> and <see cref="RequiresTheoryAttribute"/>: outside CI their tests in such a class
/// are skipped with <see cref="MissingReason"/>; in CI they run, so a missing peer fails.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = true)]
public abstract class ClassRequirementAttribute : Attribute
{
    /// <summary>Why the class's tests cannot run here, or null when they can.</summary>
    public abstract string? MissingReason { get; }

    internal static string? SkipReason(ITestMethod testMethod)
    {
        if (SharedData.InCi) return null;
        return testMethod.TestClass.Class.ToRuntimeType()
            .GetCustomAttributes(typeof(ClassRequirementAttribute), inherit: true)
            .Cast<ClassRequirementAttribute>()
            .Select(a => a.MissingReason)
            .FirstOrDefault(r => r != null);
    }

    internal static IXunitTestCase Skipped(IMessageSink sink, ITestFrameworkDiscoveryOptions options, ITestMethod testMethod, string reason) =>
        new XunitSkippedDataRowTestCase(sink, options.MethodDisplayOrDefault(), options.MethodDisplayOptionsOrDefault(), testMethod, reason);
}

/// <summary>Discovers <see cref="RequiresFactAttribute"/> tests, skipping them when their class's requirement is missing.</summary>
public sealed class RequiresFactDiscoverer(IMessageSink diagnosticMessageSink) : FactDiscoverer(diagnosticMessageSink)
{
    public override IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute) =>
        ClassRequirementAttribute.SkipReason(testMethod) is { } reason
            ? [ClassRequirementAttribute.Skipped(DiagnosticMessageSink, discoveryOptions, testMethod, reason)]
            : base.Discover(discoveryOptions, testMethod, factAttribute);
}

/// <summary>Discovers <see cref="RequiresTheoryAttribute"/> tests, skipping them when their class's requirement is missing.</summary>
public sealed class RequiresTheoryDiscoverer(IMessageSink diagnosticMessageSink) : TheoryDiscoverer(diagnosticMessageSink)
{
    public override IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo theoryAttribute) =>
        ClassRequirementAttribute.SkipReason(testMethod) is { } reason
            ? [ClassRequirementAttribute.Skipped(DiagnosticMessageSink, discoveryOptions, testMethod, reason)]
            : base.Discover(discoveryOptions, testMethod, theoryAttribute);
}
