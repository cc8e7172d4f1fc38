#!/usr/bin/env escript
%%! -noshell
%% Prints each term of a file three ways, for comparison with hexpub's
%% pretty printer: io_lib:format("~p"), io_lib:format("~tp") and
%% io_lib_pretty:print(T, [{encoding, utf8}]) (what hex_core writes into
%% metadata.config).
%%
%% The input holds the terms in Erlang's external format, each framed as a
%% 32-bit big-endian length and the bytes of term_to_binary/1; the output
%% holds, for each term, the three texts in UTF-8, framed the same way.
%%
%% usage: pretty_print.escript IN OUT
main([In, Out]) ->
    {ok, Bin} = file:read_file(In),
    Texts = [[frame(io_lib:format("~p", [T])),
              frame(io_lib:format("~tp", [T])),
              frame(io_lib_pretty:print(T, [{encoding, utf8}]))]
             || T <- terms(Bin)],
    ok = file:write_file(Out, Texts).

terms(<<>>) -> [];
terms(<<N:32, B:N/binary, Rest/binary>>) -> [binary_to_term(B) | terms(Rest)].

frame(Chars) ->
    B = unicode:characters_to_binary(Chars),
    [<<(byte_size(B)):32>>, B].
