// A first-in-first-out queue over an array, O(1) amortised at both ends.
public struct FIFOQueue<Element: Sendable>: Sendable {
    private var storage: [Element] = []
    private var head = 0

    public init() {}

    public var count: Int { storage.count - head }
    public var isEmpty: Bool { count == 0 }
    public var first: Element? { head < storage.count ? storage[head] : nil }

    public mutating func append(_ element: Element) { storage.append(element) }

    @discardableResult
    public mutating func removeFirst() -> Element {
        precondition(head < storage.count, "removeFirst on an empty queue")
        let element = storage[head]
        head += 1
        if head > 64 && head * 2 > storage.count {
            storage.removeFirst(head)
            head = 0
        }
        return element
    }

    public mutating func popFirst() -> Element? { isEmpty ? nil : removeFirst() }

    public mutating func removeAll(where shouldRemove: (Element) -> Bool) {
        storage = storage[head...].filter { !shouldRemove($0) }
        head = 0
    }
}
